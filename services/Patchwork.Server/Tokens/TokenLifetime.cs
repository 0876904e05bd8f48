using Microsoft.IdentityModel.Tokens;

namespace Patchwork.Server.Tokens;

internal static class TokenLifetime
{
    /// <summary>exp required, nbf honoured, both against the host's one clock so tests can move time.</summary>
    public static LifetimeValidator CheckedBy(TimeProvider clock, TimeSpan skew) => (notBefore, expires, _, _) =>
    {
        var now = clock.GetUtcNow().UtcDateTime;
        return expires is { } expiry && now < expiry.ToUniversalTime() + skew &&
               (notBefore is not { } start || start.ToUniversalTime() <= now + skew);
    };
}
