using System.Diagnostics.Metrics;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Patchwork.EventStore;

namespace Patchwork.Server.Health;

/// <summary>How far behind the daemon and the relays may fall, and how early an expiring signing certificate is reported.</summary>
public sealed class HealthOptions
{
    public const string Section = "Health";

    /// <summary>A relay whose oldest unhandled event is older than this is reported behind.</summary>
    public TimeSpan RelayLagLimit { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>A high-water mark that has had events above it for longer than this is reported stuck.</summary>
    public TimeSpan HighWaterMarkLimit { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>A signing certificate expiring within this is reported, so it is replaced before partners' tokens stop.</summary>
    public TimeSpan CertificateWarning { get; set; } = TimeSpan.FromDays(14);
}

/// <summary>
/// The async daemon as an operator needs it: the high-water mark moving, and each relay not stuck behind it. A relay or a
/// mark that has fallen behind is Degraded — reported, alerted on, but still 200: the event log is the outbox, so this node
/// keeps taking writes that the relays deliver once they catch up, and taking every node out of the load balancer for a
/// relay (which leads on one node at a time, for the whole cluster) would turn a delay into an outage.
/// </summary>
internal sealed class EventDaemonReadiness(EventDaemonReadings readings) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var (mark, relays, now) = await readings.ReadAsync(cancellationToken);
        return Assess(mark, relays, now, readings.Options);
    }

    /// <summary>The check's verdict on one reading: names, states and numbers only, never an event's id or content.</summary>
    internal static HealthCheckResult Assess(HighWaterMark mark, IReadOnlyList<SubscriptionStatus> relays, DateTimeOffset now, HealthOptions options)
    {
        var data = new Dictionary<string, object>(StringComparer.Ordinal)
        {
            ["highWaterMark"] = mark.Sequence,
            ["eventsAboveHighWaterMark"] = mark.EventsAbove,
            ["highWaterMarkSecondsBehind"] = SecondsBehind(mark.OldestAboveAt, now),
        };
        var problems = new List<string>();
        if (mark.EventsAbove > 0 && now - mark.OldestAboveAt > options.HighWaterMarkLimit)
            problems.Add($"the high-water mark has not moved past events appended {SecondsBehind(mark.OldestAboveAt, now)} s ago");
        foreach (var relay in relays.OrderBy(r => r.Name, StringComparer.Ordinal))
        {
            var behind = SecondsBehind(relay.OldestPendingAt, now);
            data[relay.Name + ".state"] = relay.State.ToString();
            data[relay.Name + ".pendingEvents"] = relay.PendingEvents;
            data[relay.Name + ".secondsBehind"] = behind;
            data[relay.Name + ".leader"] = relay.HasLeader;
            if (relay.State == SubscriptionState.Parked) problems.Add($"{relay.Name} is parked and needs an operator");
            else if (relay.PendingEvents > 0 && now - relay.OldestPendingAt > options.RelayLagLimit)
                problems.Add($"{relay.Name} is {relay.PendingEvents} events, {behind} s behind" + (relay.HasLeader ? "" : " and no node leads it"));
        }
        return problems.Count == 0
            ? HealthCheckResult.Healthy(relays.Count == 0 ? "no relays yet" : "relays keeping up", data)
            : HealthCheckResult.Degraded(string.Join("; ", problems), data: data);
    }

    internal static double SecondsBehind(DateTimeOffset? oldest, DateTimeOffset now) =>
        oldest is { } at ? Math.Max(0, Math.Round((now - at).TotalSeconds, 1)) : 0;
}

/// <summary>
/// Reads the daemon's state for the readiness check and keeps the last reading for the relay lag gauges, which the
/// exporter collects without a database round trip of its own.
/// </summary>
public sealed class EventDaemonReadings : IDisposable
{
    private readonly EventStore.EventStore _store;
    private readonly TimeProvider _clock;
    private readonly Meter _meter;
    private volatile Reading? _last;

    public EventDaemonReadings(EventStore.EventStore store, TimeProvider clock, HealthOptions options, IMeterFactory meters)
    {
        _store = store;
        _clock = clock;
        Options = options;
        _meter = meters.Create(Telemetry.PatchworkMetrics.Name);
        _meter.CreateObservableGauge("patchwork.relay.lag.events", () => Each(r => r.PendingEvents), "{event}",
            "Events appended that the relay has not yet handled");
        _meter.CreateObservableGauge("patchwork.relay.lag.seconds", () => Each(r => EventDaemonReadiness.SecondsBehind(r.OldestPendingAt, _last?.At ?? _clock.GetUtcNow())), "s",
            "Age of the oldest event the relay has not yet handled");
        _meter.CreateObservableGauge<long>("patchwork.daemon.high_water_mark.lag.events", () => _last is { } last ? [new Measurement<long>(last.Mark.EventsAbove)] : [], "{event}",
            "Events appended above the async daemon's high-water mark");
    }

    internal HealthOptions Options { get; }

    private sealed record Reading(HighWaterMark Mark, IReadOnlyList<SubscriptionStatus> Relays, DateTimeOffset At);

    public async Task<(HighWaterMark Mark, IReadOnlyList<SubscriptionStatus> Relays, DateTimeOffset At)> ReadAsync(CancellationToken cancellationToken)
    {
        var mark = await _store.GetHighWaterMarkAsync(cancellationToken);
        var relays = await _store.GetSubscriptionStatusesAsync(cancellationToken);
        var reading = new Reading(mark, relays, _clock.GetUtcNow());
        _last = reading;
        return (reading.Mark, reading.Relays, reading.At);
    }

    private IEnumerable<Measurement<T>> Each<T>(Func<SubscriptionStatus, T> value) where T : struct =>
        _last?.Relays.Select(r => new Measurement<T>(value(r), new KeyValuePair<string, object?>("relay", r.Name))) ?? [];

    public void Dispose() => _meter.Dispose();
}

/// <summary>Takes a reading on a schedule, so the lag gauges move even when nobody asks for readiness.</summary>
internal sealed class EventDaemonSampler(EventDaemonReadings readings, IConfiguration configuration, TimeProvider clock, ILogger<EventDaemonSampler> log)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var every = configuration.GetValue("Telemetry:RelayLagInterval", TimeSpan.FromSeconds(15));
        using var timer = new PeriodicTimer(every, clock);
        do
        {
            try
            {
                await readings.ReadAsync(stoppingToken);
            }
            catch (Exception failure) when (failure is Npgsql.NpgsqlException or TimeoutException || (failure is OperationCanceledException && !stoppingToken.IsCancellationRequested))
            {
                // Readiness reports the database; the gauges keep their last reading until it answers again.
                log.LogDebug("Relay lag not read: {Failure}", failure.GetType().Name);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }
}
