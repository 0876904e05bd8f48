using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;

namespace Patchwork.Server.Api;

/// <summary>
/// A fixed window per caller on client search and registration (whose likely-duplicate check is a lookup too), shared by
/// both, on the API and the pages: enough for casework, too few to walk the register by brute force
/// (<c>Api:SearchesPerMinute</c>, 30 by default). 429 is a problem with Retry-After.
/// </summary>
internal sealed class SearchRateLimit(int perMinute) : IRateLimiterPolicy<string>
{
    public Func<OnRejectedContext, CancellationToken, ValueTask>? OnRejected { get; } = async (rejected, _) =>
    {
        var wait = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? retryAfter : TimeSpan.FromMinutes(1);
        rejected.HttpContext.Response.Headers.RetryAfter = ((int)Math.Ceiling(wait.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        if (rejected.HttpContext.Request.Path.StartsWithSegments(Fhir.FhirApi.Prefix))
        {
            rejected.HttpContext.Response.StatusCode = StatusCodes.Status429TooManyRequests;
            await Fhir.FhirApi.WriteOutcomeAsync(rejected.HttpContext);
            return;
        }
        await TypedResults.Problem("too many searches or registrations; retry after the stated delay", statusCode: StatusCodes.Status429TooManyRequests,
            title: "Too many requests").ExecuteAsync(rejected.HttpContext);
    };

    public RateLimitPartition<string> GetPartition(HttpContext httpContext) =>
        RateLimitPartition.GetFixedWindowLimiter(
            CurrentActor.From(httpContext.User) is { } caller ? $"{caller.Principal.Kind}:{caller.Principal.Id:N}" : $"anonymous@{httpContext.Connection.RemoteIpAddress}",
            _ => new FixedWindowRateLimiterOptions { PermitLimit = perMinute, Window = TimeSpan.FromMinutes(1), QueueLimit = 0 });
}
