using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Patchwork.Server.Health;

public static class HealthExtensions
{
    private const string Ready = "ready";

    public static WebApplicationBuilder AddPatchworkHealth(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<BrokerConnectionProbe>();
        builder.Services.AddSingleton(builder.Configuration.GetSection(HealthOptions.Section).Get<HealthOptions>() ?? new HealthOptions());
        builder.Services.AddSingleton<EventDaemonReadings>();
        builder.Services.AddHostedService<EventDaemonSampler>();
        builder.Services.AddSingleton<IHealthCheckPublisher, ReadinessGauges>();
        builder.Services.Configure<HealthCheckPublisherOptions>(publisher =>
        {
            publisher.Period = TimeSpan.FromSeconds(15);
            publisher.Predicate = check => check.Tags.Contains(Ready);
        });
        builder.Services.AddHealthChecks()
            .AddCheck<PostgresReadiness>("postgres", tags: [Ready])
            .AddCheck<BrokerReadiness>("rabbitmq", tags: [Ready])
            .AddCheck<EventDaemonReadiness>("event-daemon", tags: [Ready]);
        return builder;
    }

    /// <summary>
    /// <c>/health/live</c>: the process answers. <c>/health/ready</c>: a real query on PostgreSQL, a real broker
    /// connection and the bus's own endpoints, the token keys, the async daemon's high-water mark and each relay's lag;
    /// 503 with Retry-After when any check is Unhealthy. Degraded (a relay or the mark behind, a signing certificate
    /// expiring soon) answers 200, saying so in the body: worth an alert, not worth taking the node out of service.
    /// Every check's state and numbers are in the body; never a secret, a path or a record.
    /// </summary>
    public static WebApplication MapPatchworkHealth(this WebApplication app)
    {
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false, ResponseWriter = WriteReport });
        app.MapHealthChecks("/health/ready", new HealthCheckOptions
        {
            Predicate = check => check.Tags.Contains(Ready),
            ResultStatusCodes =
            {
                [HealthStatus.Healthy] = StatusCodes.Status200OK,
                [HealthStatus.Degraded] = StatusCodes.Status200OK,
                [HealthStatus.Unhealthy] = StatusCodes.Status503ServiceUnavailable,
            },
            ResponseWriter = WriteReport,
        });
        return app;
    }

    private static Task WriteReport(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json";
        context.Response.Headers.CacheControl = "no-store";
        if (report.Status == HealthStatus.Unhealthy) context.Response.Headers.RetryAfter = "5";
        var body = new
        {
            status = report.Status.ToString(),
            checks = report.Entries.Select(entry => new
            {
                name = entry.Key,
                status = entry.Value.Status.ToString(),
                description = entry.Value.Description,
                milliseconds = Math.Round(entry.Value.Duration.TotalMilliseconds, 1),
                data = entry.Value.Data.Count == 0 ? null : entry.Value.Data,
            }),
        };
        return context.Response.WriteAsync(JsonSerializer.Serialize(body, JsonSerializerOptions.Web));
    }
}
