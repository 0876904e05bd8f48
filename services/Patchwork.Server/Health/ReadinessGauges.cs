using System.Diagnostics.Metrics;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Patchwork.Server.Health;

/// <summary>
/// The last readiness report as gauges, so Prometheus can alert on readiness from the metrics port alone:
/// <c>patchwork.health.ready</c> (1 unless a check is Unhealthy) and <c>patchwork.health.status</c> per check and status.
/// </summary>
internal sealed class ReadinessGauges : IHealthCheckPublisher, IDisposable
{
    private static readonly string[] Statuses = ["healthy", "degraded", "unhealthy"];
    private readonly Meter _meter;
    private volatile HealthReport? _last;

    public ReadinessGauges(IMeterFactory meters)
    {
        _meter = meters.Create(Telemetry.PatchworkMetrics.Name);
        _meter.CreateObservableGauge<int>("patchwork.health.ready", () => _last is { } last ? [new Measurement<int>(last.Status == HealthStatus.Unhealthy ? 0 : 1)] : [],
            description: "1 while /health/ready answers 200, 0 while it answers 503 (as of the last published report)");
        _meter.CreateObservableGauge("patchwork.health.status", Observe, description: "1 for each readiness check's current status, 0 for the others");
    }

    public Task PublishAsync(HealthReport report, CancellationToken cancellationToken)
    {
        _last = report;
        return Task.CompletedTask;
    }

    private IEnumerable<Measurement<int>> Observe()
    {
        if (_last is not { } last) yield break;
        foreach (var (check, entry) in last.Entries)
        {
            var current = entry.Status.ToString().ToLowerInvariant();
            foreach (var status in Statuses)
                yield return new Measurement<int>(status == current ? 1 : 0, new("check", check), new("status", status));
        }
    }

    public void Dispose() => _meter.Dispose();
}
