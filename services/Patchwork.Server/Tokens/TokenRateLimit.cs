using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;

namespace Patchwork.Server.Tokens;

/// <summary>
/// A fixed window per remote address on the token endpoint, decided before the client is authenticated. It keys on
/// nothing the caller chooses (a claimed <c>client_id</c> or assertion issuer would give a fresh allowance, and a new
/// partition, per made-up name), and 429 carries Retry-After so a well-behaved client backs off exactly enough.
/// </summary>
internal sealed class TokenRateLimit(TokenOptions options)
{
    public Func<OnRejectedContext, CancellationToken, ValueTask> OnRejected { get; } = async (rejected, cancellationToken) =>
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
        RateLimitPartition.GetFixedWindowLimiter(httpContext.Connection.RemoteIpAddress?.ToString() ?? "",
            _ => new FixedWindowRateLimiterOptions
            {
                PermitLimit = options.TokenRequestsPerWindow,
                Window = options.TokenRequestWindow,
                QueueLimit = 0,
            });
}
