using Npgsql;

namespace Patchwork.Server.Hosting;

public static class HostingExtensions
{
    /// <summary>Structured JSON logs on stdout and a bounded, graceful shutdown.</summary>
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
        return builder;
    }

    /// <summary>One pooled data source for the application role; the owner role is only for migrations.</summary>
    public static WebApplicationBuilder AddPatchworkDatabase(this WebApplicationBuilder builder)
    {
        var connectionString = builder.Configuration.GetConnectionString("Patchwork");
        if (string.IsNullOrWhiteSpace(connectionString))
            throw new InvalidOperationException("ConnectionStrings:Patchwork is not set (see README, Configuration).");
        builder.Services.AddSingleton(_ => new NpgsqlDataSourceBuilder(connectionString).Build());
        return builder;
    }
}
