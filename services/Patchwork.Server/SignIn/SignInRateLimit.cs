using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;

namespace Patchwork.Server.SignIn;

/// <summary>
/// A fixed window per remote address on every endpoint and page form that checks a password, a code or an invitation
/// link (the sign-in pages' GETs are not counted). The per-account side is <see cref="SignInRecords"/>'s growing wait.
/// </summary>
internal sealed class SignInRateLimit(PractitionerSignInOptions options) : IRateLimiterPolicy<string>
{
    public const string Policy = "patchwork-sign-in";

    public Func<OnRejectedContext, CancellationToken, ValueTask>? OnRejected { get; } = async (rejected, cancellationToken) =>
    {
        var context = rejected.HttpContext;
        var retryAfter = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromSeconds(60);
        context.Response.StatusCode = StatusCodes.Status429TooManyRequests;
        context.Response.Headers.RetryAfter = Seconds(retryAfter);
        if (context.Request.Path.StartsWithSegments("/account"))
        {
            await TypedResults.Problem(statusCode: StatusCodes.Status429TooManyRequests, title: "Too many sign-in attempts",
                detail: "Wait before trying again.").ExecuteAsync(context);
            return;
        }
        // A page's form: a page the browser can show, not a problem document.
        context.Response.ContentType = "text/html; charset=utf-8";
        await context.Response.WriteAsync($"""
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>Too many sign-in attempts – Patchwork</title></head>
            <body><h1>Too many sign-in attempts</h1>
            <p>There have been too many sign-in attempts from your network. Wait {Seconds(retryAfter)} seconds, then <a href="/sign-in">try again</a>.</p>
            </body></html>
            """, cancellationToken);
    };

    public RateLimitPartition<string> GetPartition(HttpContext httpContext) =>
        HttpMethods.IsGet(httpContext.Request.Method) || HttpMethods.IsHead(httpContext.Request.Method)
            ? RateLimitPartition.GetNoLimiter("reading")
            : RateLimitPartition.GetFixedWindowLimiter("from " + httpContext.Connection.RemoteIpAddress,
                _ => new FixedWindowRateLimiterOptions { PermitLimit = options.AttemptsPerWindow, Window = options.AttemptWindow, QueueLimit = 0 });

    /// <summary>A Retry-After value: whole seconds, rounded up, at least one.</summary>
    public static string Seconds(TimeSpan wait) => Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
}
