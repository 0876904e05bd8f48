namespace Patchwork.Server.Api;

/// <summary>
/// Security headers on every response of the host, first in the pipeline so even a short-circuited response has them.
/// A slice that sets its own (a page with a nonce-based CSP, say) keeps its value.
/// </summary>
internal sealed class SecurityHeaders : IStartupFilter
{
    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        app.Use((context, nextMiddleware) =>
        {
            context.Response.OnStarting(() =>
            {
                var headers = context.Response.Headers;
                headers.TryAdd("Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'");
                headers.TryAdd("X-Content-Type-Options", "nosniff");
                headers.TryAdd("Referrer-Policy", "no-referrer");
                // Only over HTTPS: HSTS on a plain-HTTP response is ignored by browsers and would mislead a reader.
                if (context.Request.IsHttps) headers.TryAdd("Strict-Transport-Security", "max-age=31536000; includeSubDomains");
                return Task.CompletedTask;
            });
            return nextMiddleware(context);
        });
        next(app);
    };
}
