using System.Diagnostics;
using System.Diagnostics.Metrics;
using Npgsql;
using OpenTelemetry;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Patchwork.Core.Access;
using Patchwork.Server.Feed;
using Patchwork.Server.Tokens;

namespace Patchwork.Server.Telemetry;

/// <summary>Where the Prometheus scrape endpoint listens: a port of its own, never the public one; off unless set.</summary>
public sealed class TelemetryOptions
{
    public const string Section = "Telemetry";

    /// <summary>The port of <c>/metrics</c>; unset, there is no scrape endpoint (OTLP still exports when configured).</summary>
    public int? MetricsPort { get; set; }

    /// <summary>The address the metrics port binds: loopback unless the operator opens it to a private network.</summary>
    public string MetricsHost { get; set; } = "127.0.0.1";
}

public static class TelemetryExtensions
{
    /// <summary>The sources the host listens to: its own, the policy's, and what MassTransit, Marten, Npgsql and SignalR emit.</summary>
    public static readonly string[] Sources =
        [PatchworkMetrics.Name, PolicyTelemetry.Name, "MassTransit", "Marten", "Npgsql", "Microsoft.AspNetCore.SignalR.Server"];

    public static readonly string[] Meters =
        [PatchworkMetrics.Name, PolicyTelemetry.Name, "MassTransit", "Marten", "Npgsql", "Microsoft.AspNetCore.Http.Connections", "Microsoft.AspNetCore.SignalR"];

    /// <summary>
    /// Traces, metrics and logs through OpenTelemetry: exported over OTLP when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set,
    /// metrics scrapeable at <c>/metrics</c> on <c>Telemetry:MetricsPort</c> when that is set. Log lines stay JSON on
    /// stdout and carry the trace and span ids. Spans lose the request's path and query (a client's id, a searched name)
    /// before any exporter sees them: the route template says which door was used.
    /// </summary>
    public static WebApplicationBuilder AddPatchworkTelemetry(this WebApplicationBuilder builder, string node)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var options = builder.Configuration.GetSection(TelemetryOptions.Section).Get<TelemetryOptions>() ?? new TelemetryOptions();
        builder.Services.AddSingleton(options);
        builder.Logging.Configure(logging => logging.ActivityTrackingOptions =
            ActivityTrackingOptions.TraceId | ActivityTrackingOptions.SpanId | ActivityTrackingOptions.ParentId);

        var telemetry = builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService("patchwork", serviceInstanceId: node))
            .WithTracing(tracing => tracing
                .AddAspNetCoreInstrumentation(aspNetCore => aspNetCore.RecordException = false)
                .AddHttpClientInstrumentation()
                .AddNpgsql()
                .AddSource(Sources)
                .AddProcessor(new WithoutRequestPaths()))
            .WithMetrics(metrics =>
            {
                metrics.AddAspNetCoreInstrumentation().AddHttpClientInstrumentation().AddRuntimeInstrumentation().AddMeter(Meters);
                if (options.MetricsPort is not null) metrics.AddPrometheusExporter();
            })
            .WithLogging(_ => { }, logging =>
            {
                logging.IncludeScopes = true;
                logging.IncludeFormattedMessage = true;
            });
        if (!string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"])) telemetry.UseOtlpExporter();
        builder.Services.AddHostedService<ServiceGauges>();

        if (options.MetricsPort is int port)
        {
            var urls = builder.Configuration[WebHostDefaults.ServerUrlsKey] is { Length: > 0 } configured ? configured : "http://localhost:5000";
            if (urls.Split(';', StringSplitOptions.RemoveEmptyEntries).Any(url => url.TrimEnd('/').EndsWith(":" + port, StringComparison.Ordinal)))
                throw new InvalidOperationException($"Telemetry:MetricsPort {port} is one of the public URLs ({urls}): the metrics port must be a port of its own.");
            builder.WebHost.UseSetting(WebHostDefaults.ServerUrlsKey, $"{urls};http://{options.MetricsHost}:{port}");
            builder.Services.AddSingleton<IStartupFilter>(new MetricsPortOnly(port));
        }
        return builder;
    }

    /// <summary>
    /// First in the pipeline: a request that arrived on the metrics port gets <c>/metrics</c> or 404, and nothing else of
    /// the application; a request on any other port never reaches the scrape endpoint. The port the connection came in on
    /// decides, not the Host header, which a caller writes.
    /// </summary>
    private sealed class MetricsPortOnly(int port) : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.MapWhen(context => context.Connection.LocalPort == port, metrics =>
            {
                metrics.UseOpenTelemetryPrometheusScrapingEndpoint();
                metrics.Run(context =>
                {
                    context.Response.StatusCode = StatusCodes.Status404NotFound;
                    return Task.CompletedTask;
                });
            });
            next(app);
        };
    }

    /// <summary>Drops the raw path and query of HTTP spans (they can hold a client's id or a searched name); the route stays.</summary>
    private sealed class WithoutRequestPaths : BaseProcessor<Activity>
    {
        public override void OnEnd(Activity data)
        {
            if (data.GetTagItem("url.path") is not null) data.SetTag("url.path", null);
            if (data.GetTagItem("url.query") is not null) data.SetTag("url.query", null);
            if (data.GetTagItem("url.full") is string full && Uri.TryCreate(full, UriKind.Absolute, out var uri))
                data.SetTag("url.full", uri.GetLeftPart(UriPartial.Authority));
        }
    }
}

/// <summary>Gauges read from the node's own state when the exporter collects: live feed connections and the signing certificate's time left.</summary>
internal sealed class ServiceGauges(IMeterFactory meters, FeedConnections connections, TokenCertificates certificates, TimeProvider clock) : IHostedService
{
    private Meter? _meter;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _meter = meters.Create(PatchworkMetrics.Name);
        _meter.CreateObservableGauge("patchwork.feed.connections", () => connections.Count, "{connection}",
            "Browsers connected to this node's live feed");
        _meter.CreateObservableGauge("patchwork.tokens.signing_certificate.remaining", () => (certificates.SigningNotAfter - clock.GetUtcNow()).TotalSeconds, "s",
            "Time until the token signing certificate expires");
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        _meter?.Dispose();
        return Task.CompletedTask;
    }
}
