using System.Security.Claims;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;

namespace Patchwork.Server.SignIn;

/// <summary>
/// Checks every cookie-authenticated request against the account's current security stamp and disabled flag, and its
/// session id against the sessions signed out, so signing out, signing out everywhere and disabling end sessions at the
/// next request (a copy of the cookie kept from before is refused too) instead of at Identity's next stamp validation. A small
/// cache keeps this to one primary-key read per user per few seconds; a change evicts it at once on this node and, through
/// <see cref="SessionRevocations"/>, on every other node.
/// </summary>
public sealed class SessionGate(PractitionerSignInOptions options, IOptions<IdentityOptions> identity, SignInRecords records) : IDisposable
{
    private sealed record AccountState(string? SecurityStamp, bool Disabled)
    {
        public IReadOnlySet<Guid> EndedSessions { get; init; } = new HashSet<Guid>();
    }

    private readonly MemoryCache _cache = new(new MemoryCacheOptions { SizeLimit = 100_000 });

    public async Task<bool> IsCurrentAsync(ClaimsPrincipal principal, SignInDbContext database, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(principal);
        ArgumentNullException.ThrowIfNull(database);
        if (!principal.HasClaim(PatchworkClaims.AuthenticationMethods, PatchworkClaims.MultiFactor)) return false;
        if (!Guid.TryParse(principal.FindFirstValue(identity.Value.ClaimsIdentity.UserIdClaimType), out var userId)) return false;
        var stamp = principal.FindFirstValue(identity.Value.ClaimsIdentity.SecurityStampClaimType);
        if (stamp is null) return false;
        // Every session signed in since sessions could be signed out one by one carries its id; one without is refused.
        if (!Guid.TryParse(principal.FindFirstValue(PatchworkClaims.Session), out var session)) return false;

        if (_cache.TryGetValue(userId, out AccountState? cached) && cached is not null && cached.SecurityStamp == stamp)
            return !cached.Disabled && !cached.EndedSessions.Contains(session);
        // A miss or a different stamp: read the row, since the cached stamp may be the stale one.
        var current = await database.Users.AsNoTracking().Where(u => u.Id == userId)
            .Select(u => new AccountState(u.SecurityStamp, u.Disabled)).SingleOrDefaultAsync(cancellationToken);
        if (current is null) return false;
        current = current with { EndedSessions = await records.EndedSessionsAsync(userId, cancellationToken) };
        _cache.Set(userId, current, new MemoryCacheEntryOptions { Size = 1, AbsoluteExpirationRelativeToNow = options.SessionCheckCacheDuration });
        return current.SecurityStamp == stamp && !current.Disabled && !current.EndedSessions.Contains(session);
    }

    /// <summary>Called after this node changes an account's stamp or disabled flag or ends one of its sessions, and when another node says it did.</summary>
    public void Forget(Guid userId) => _cache.Remove(userId);

    /// <summary>When revocations from other nodes might have been missed: every next check reads the database.</summary>
    public void ForgetAll() => _cache.Clear();

    public void Dispose() => _cache.Dispose();
}
