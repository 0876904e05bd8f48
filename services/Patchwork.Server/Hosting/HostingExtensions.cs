namespace Patchwork.Server.Hosting;

public static class HostingExtensions
{
    /// <summary>
    /// Structured JSON logs on stdout, a bounded, graceful shutdown, responses no cache keeps unless they say so, and
    /// forwarded headers from known proxies only, first in the pipeline. In Production the public origin of links
    /// (<c>SignIn:PublicBaseUrl</c>) is required: a link built from the request's Host header could point an invitee at
    /// whoever sent the request.
    /// </summary>
    public static WebApplicationBuilder AddPatchworkHosting(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (builder.Environment.IsProduction() && string.IsNullOrWhiteSpace(builder.Configuration["SignIn:PublicBaseUrl"]))
            throw new InvalidOperationException("SignIn:PublicBaseUrl is required in Production: the public https origin invitation links use (e.g. https://patchwork.example).");
        // Registered before every other startup filter, so it runs before all of their middleware.
        builder.Services.AddSingleton<IStartupFilter>(new ProxyHeaders(ProxyHeaders.From(builder.Configuration)));
        // Next, so that an exception from any later middleware (authentication's token check included) is mapped in one place.
        builder.Services.AddExceptionHandler<DatabaseUnavailable>();
        builder.Services.AddSingleton<IStartupFilter, ExceptionsMappedFirst>();
        builder.Logging.ClearProviders();
        builder.Logging.AddJsonConsole(json =>
        {
            json.IncludeScopes = true;
            json.UseUtcTimestamp = true;
            json.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
        });
        var timeout = builder.Configuration.GetValue("Shutdown:TimeoutSeconds", 30);
        // In-flight requests, relays and consumers get this long to finish before the process exits.
        builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = TimeSpan.FromSeconds(timeout));
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddProblemDetails();
        builder.Services.AddSingleton<IStartupFilter, PrivateByDefault>();
        return builder;
    }

    /// <summary>
    /// The exception handler ahead of every middleware Program.cs adds: <see cref="DatabaseUnavailable"/> answers an
    /// outage with 503; anything else becomes a bare 500 problem document, logged as an error.
    /// </summary>
    private sealed class ExceptionsMappedFirst : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.UseExceptionHandler();
            next(app);
        };
    }
}
