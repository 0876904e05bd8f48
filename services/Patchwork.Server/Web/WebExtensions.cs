using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc.Filters;
using Microsoft.AspNetCore.RateLimiting;
using Patchwork.Server.Api.Clients;
using Patchwork.Server.Api.Audit;
using Patchwork.Server.SignIn;
using Patchwork.Web.Desk;

namespace Patchwork.Server.Web;

public static class WebExtensions
{
    /// <summary>
    /// The practitioners' pages (web/Patchwork.Web): Razor Pages behind the practitioner policy (sign-in pages excepted),
    /// antiforgery on every form post, and the desk and sign-in steps they use, implemented here with the API's services.
    /// </summary>
    public static WebApplicationBuilder AddPatchworkWeb(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        // Serves the web project's assets from a build's output (as ./patchwork run does); a published app has them in wwwroot.
        builder.WebHost.UseStaticWebAssets();
        // The assets are served as the build made them (precompressed, fingerprinted, with their ETags): the framework's
        // runtime patching for files edited under a running app would re-compress them on the fly at "no compression"
        // and answer conditional requests with 200, as it did before this was set.
        builder.Configuration["ReloadStaticAssetsAtRuntime"] = "false";
        var services = builder.Services;
        services.AddResponseCompression(compression =>
        {
            compression.EnableForHttps = true;
            compression.MimeTypes = ["text/html"];
            compression.Providers.Add<Microsoft.AspNetCore.ResponseCompression.GzipCompressionProvider>();
            compression.Providers.Add<Microsoft.AspNetCore.ResponseCompression.BrotliCompressionProvider>();
        });
        services.AddSingleton<Microsoft.AspNetCore.ResponseCompression.IResponseCompressionProvider, PageCompression>();
        services.AddRazorPages(pages =>
            {
                pages.Conventions.AuthorizeFolder("/", PatchworkClaims.PractitionerPolicy);
                pages.Conventions.AllowAnonymousToFolder("/SignIn");
                pages.Conventions.ConfigureFilter(new WebChannel());
                // Searching and registering (whose likely-duplicate check is a lookup too) share the API's limit per caller.
                foreach (var lookup in new[] { "/Clients/Find", "/Clients/Register" })
                    pages.Conventions.AddPageApplicationModelConvention(lookup, page => page.EndpointMetadata.Add(new EnableRateLimitingAttribute(ClientsApi.SearchRateLimit)));
            })
            .AddApplicationPart(typeof(IClientDesk).Assembly);
        services.AddHttpContextAccessor();
        services.AddSingleton<StatedPurposes>();
        services.AddScoped<IClientDesk, PageClientDesk>();
        services.AddScoped<IThreadDesk, PageThreadDesk>();
        services.AddScoped<INoticeDesk, PageNoticeDesk>();
        services.AddScoped<IClientTasks, PageClientTasks>();
        services.AddScoped<IAdminDesk, PageAdminDesk>();
        services.AddScoped<IInsightDesk, PageInsightDesk>();
        services.AddScoped<IBreakGlassDesk, PageBreakGlassDesk>();
        services.AddScoped<IPractitionerSignIn>(provider => provider.GetRequiredService<SecondFactorSignIn>());
        services.ConfigureApplicationCookie(cookie =>
        {
            cookie.LoginPath = "/sign-in";
            cookie.AccessDeniedPath = "/sign-in";
            cookie.ReturnUrlParameter = "returnUrl";
        });
        return builder;
    }

    /// <summary>The pages and their static assets (GOV.UK Frontend, copied in by the web project's build).</summary>
    public static WebApplication MapPatchworkWeb(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.UseResponseCompression();
        app.MapStaticAssets();
        // The sign-in pages' forms share the /account endpoints' limit per address (their GETs are not counted).
        app.MapRazorPages().WithStaticAssets().Add(endpoint =>
        {
            if (endpoint is RouteEndpointBuilder { RoutePattern.RawText: { } route } &&
                (route.TrimStart('/') == "sign-in" || route.TrimStart('/').StartsWith("sign-in/", StringComparison.Ordinal)))
                endpoint.Metadata.Add(new Microsoft.AspNetCore.RateLimiting.EnableRateLimitingAttribute(SignInRateLimit.Policy));
        });
        return app;
    }

    /// <summary>Marks page requests so the API services they call audit them as the web channel.</summary>
    private sealed class WebChannel : IAsyncPageFilter
    {
        public Task OnPageHandlerSelectionAsync(PageHandlerSelectedContext context) => Task.CompletedTask;

        public Task OnPageHandlerExecutionAsync(PageHandlerExecutingContext context, PageHandlerExecutionDelegate next)
        {
            ArgumentNullException.ThrowIfNull(context);
            ArgumentNullException.ThrowIfNull(next);
            RequestAudit.MarkChannel(context.HttpContext, AuditChannel.Web);
            return next();
        }
    }
}
