using Microsoft.AspNetCore.StaticAssets;

namespace Patchwork.Server.Hosting;

/// <summary>
/// <c>Cache-Control: private, no-store</c> on every response of the host that does not say otherwise: API answers and
/// pages show personal and client data, and a shared or browser cache must never keep them. An endpoint that means
/// something else sets its own header and keeps it (the signing keys' <c>public, max-age</c>, say); static assets,
/// <c>/health</c> and <c>/.well-known</c> hold nothing personal and are left to their own rules. A validator such as the
/// team read's weak ETag still works with no-store: the browser sends If-None-Match to the server, not to a cache.
/// </summary>
internal sealed class PrivateByDefault : IStartupFilter
{
    public const string Value = "private, no-store";

    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        app.Use((context, nextMiddleware) =>
        {
            context.Response.OnStarting(() =>
            {
                if (!IsPublicByNature(context)) context.Response.Headers.TryAdd("Cache-Control", Value);
                return Task.CompletedTask;
            });
            return nextMiddleware(context);
        });
        next(app);
    };

    private static bool IsPublicByNature(HttpContext context) =>
        context.Request.Path.StartsWithSegments("/health")
        || context.Request.Path.StartsWithSegments("/.well-known")
        || context.GetEndpoint()?.Metadata.GetMetadata<StaticAssetDescriptor>() is not null;
}
