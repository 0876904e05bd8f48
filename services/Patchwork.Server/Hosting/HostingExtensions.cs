namespace Patchwork.Server.Hosting;

public static class HostingExtensions
{
    /// <summary>Structured JSON logs on stdout, a bounded, graceful shutdown, and responses no cache keeps unless they say so.</summary>
    public static WebApplicationBuilder AddPatchworkHosting(this WebApplicationBuilder builder)
    {
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
}
