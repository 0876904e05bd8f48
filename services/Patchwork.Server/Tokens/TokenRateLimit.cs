using System.Net.Http.Headers;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.IdentityModel.JsonWebTokens;

namespace Patchwork.Server.Tokens;

/// <summary>
/// A fixed window per claimed client and remote address on the token endpoint. Pairing the two keeps one noisy caller
/// from spending a partner's allowance, and 429 carries Retry-After so a well-behaved client backs off exactly enough.
/// </summary>
internal sealed class TokenRateLimit(TokenOptions options) : IRateLimiterPolicy<string>
{
    public const string Policy = "patchwork-token-endpoint";

    public Func<OnRejectedContext, CancellationToken, ValueTask>? OnRejected { get; } = async (rejected, cancellationToken) =>
    {
        var response = rejected.HttpContext.Response;
        response.StatusCode = StatusCodes.Status429TooManyRequests;
        response.Headers.CacheControl = "no-store";
        response.Headers.Pragma = "no-cache";
        var retryAfter = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromSeconds(60);
        response.Headers.RetryAfter = ((int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
        await response.WriteAsJsonAsync(new TokenError("slow_down", "Too many token requests; retry after the stated delay."), cancellationToken);
    };

    public RateLimitPartition<string> GetPartition(HttpContext httpContext) =>
        RateLimitPartition.GetFixedWindowLimiter($"{ClaimedClient(httpContext)}@{httpContext.Connection.RemoteIpAddress}",
            _ => new FixedWindowRateLimiterOptions
            {
                PermitLimit = options.TokenRequestsPerWindow,
                Window = options.TokenRequestWindow,
                QueueLimit = 0,
            });

    /// <summary>The client the request says it is, unverified: the form was read by <see cref="TokenEndpoint.ReadFormAsync"/> beforehand.</summary>
    private static string ClaimedClient(HttpContext context)
    {
        if (AuthenticationHeaderValue.TryParse(context.Request.Headers.Authorization, out var header) &&
            string.Equals(header.Scheme, "Basic", StringComparison.OrdinalIgnoreCase) && header.Parameter is { } basic)
        {
            try
            {
                var decoded = System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(basic));
                return decoded.Split(':', 2)[0];
            }
            catch (FormatException)
            {
                return "";
            }
        }
        var form = context.Features.Get<Microsoft.AspNetCore.Http.Features.IFormFeature>()?.Form;
        if (form is null) return "";
        if (form["client_id"].ToString() is { Length: > 0 } clientId) return clientId;
        var assertion = form["client_assertion"].ToString();
        return new JsonWebTokenHandler().CanReadToken(assertion) ? new JsonWebToken(assertion).Issuer : "";
    }
}
