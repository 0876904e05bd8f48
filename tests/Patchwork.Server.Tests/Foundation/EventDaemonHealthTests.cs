using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Patchwork.Core;
using Patchwork.Core.Clients;
using Patchwork.Core.Organisations;
using Patchwork.EventStore;
using Patchwork.Server.Health;
using Patchwork.Server.Tests.Tokens;
using Patchwork.Testing;

namespace Patchwork.Server.Tests.Foundation;

/// <summary>
/// Readiness reports the async daemon: Healthy while the high-water mark and the relays keep up, Degraded (still 200) once
/// a relay or the mark falls behind beyond the limit, with the numbers in the body. Driven by a clock the test moves and a
/// subscription the test pauses, never by waiting.
/// </summary>
public sealed class EventDaemonHealthTests(PostgresSchema schema) : IClassFixture<PostgresSchema>
{
    private static readonly DateTimeOffset Now = new(2026, 12, 6, 9, 0, 0, TimeSpan.Zero);
    private static readonly HealthOptions Limits = new();

    [Fact]
    public void Relays_and_a_mark_that_keep_up_are_healthy_and_each_kind_of_falling_behind_is_degraded_with_its_numbers()
    {
        var mark = new HighWaterMark(120, 0, null);
        var keepingUp = Relay("partner-relay", pending: 3, oldest: Now.AddSeconds(-2));
        var healthy = EventDaemonReadiness.Assess(mark, [keepingUp, Relay("feed-relay", 0, null)], Now, Limits);
        healthy.Status.ShouldBe(HealthStatus.Healthy);
        healthy.Data["partner-relay.pendingEvents"].ShouldBe(3L);
        healthy.Data["partner-relay.secondsBehind"].ShouldBe(2.0);

        var behind = EventDaemonReadiness.Assess(mark, [Relay("partner-relay", 40, Now.AddMinutes(-2))], Now, Limits);
        behind.Status.ShouldBe(HealthStatus.Degraded);
        behind.Description.ShouldBe("partner-relay is 40 events, 120 s behind");

        var leaderless = EventDaemonReadiness.Assess(mark, [Relay("feed-relay", 5, Now.AddMinutes(-5), leader: false)], Now, Limits);
        leaderless.Status.ShouldBe(HealthStatus.Degraded);
        leaderless.Description.ShouldBe("feed-relay is 5 events, 300 s behind and no node leads it");

        var parked = EventDaemonReadiness.Assess(mark, [Relay("feed-relay", 1, Now.AddSeconds(-1)) with { State = SubscriptionState.Parked }], Now, Limits);
        parked.Status.ShouldBe(HealthStatus.Degraded);
        parked.Description.ShouldBe("feed-relay is parked and needs an operator");

        var stuck = EventDaemonReadiness.Assess(new HighWaterMark(120, 7, Now.AddSeconds(-61)), [keepingUp], Now, Limits);
        stuck.Status.ShouldBe(HealthStatus.Degraded);
        stuck.Data["eventsAboveHighWaterMark"].ShouldBe(7L);
        stuck.Description.ShouldBe("the high-water mark has not moved past events appended 61 s ago");
        EventDaemonReadiness.Assess(new HighWaterMark(120, 7, Now.AddSeconds(-59)), [keepingUp], Now, Limits).Status.ShouldBe(HealthStatus.Healthy);
    }

    [Fact]
    public async Task A_paused_subscription_is_reported_behind_once_the_clock_passes_the_limit_and_healthy_again_once_it_catches_up()
    {
        var options = new EventStoreOptions { Schema = schema.Name, ConnectionString = schema.AppConnectionString, MigrationConnectionString = schema.OwnerConnectionString };
        options.Events.RegisterFrom(typeof(ClientSharing).Assembly);
        await EventStoreMigrations.ApplyAsync(options);
        await using var store = EventStore.EventStore.Create(options);
        var paused = new PausedHandler();
        var runner = store.CreateSubscriptionRunner("paused-relay", paused, new SubscriptionOptions { PollInterval = TimeSpan.FromMilliseconds(200) });
        using var stop = new CancellationTokenSource();
        var running = runner.RunAsync(stop.Token);
        try
        {
            for (var i = 0; i < 3; i++) await AppendAsync(store);
            await paused.Entered.Task.WaitAsync(TimeSpan.FromSeconds(30));

            var clock = new ManualClock(DateTimeOffset.UtcNow);
            using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
            using var readings = new EventDaemonReadings(store, clock, Limits, services.GetRequiredService<IMeterFactory>());
            var check = new EventDaemonReadiness(readings);
            var fresh = await check.CheckHealthAsync(new HealthCheckContext());
            fresh.Status.ShouldBe(HealthStatus.Healthy, fresh.Description);
            fresh.Data["paused-relay.pendingEvents"].ShouldBe(3L);

            clock.Advance(TimeSpan.FromMinutes(2));
            var behind = await check.CheckHealthAsync(new HealthCheckContext());
            behind.Status.ShouldBe(HealthStatus.Degraded);
            behind.Description.ShouldNotBeNull().ShouldStartWith("paused-relay is 3 events, ");
            ((double)behind.Data["paused-relay.secondsBehind"]).ShouldBeGreaterThanOrEqualTo(120);

            paused.Release.SetResult();
            await Eventually.Within(TimeSpan.FromSeconds(30), async () =>
                (await check.CheckHealthAsync(new HealthCheckContext())).Status == HealthStatus.Healthy, "healthy once the relay has caught up");
            var caughtUp = await check.CheckHealthAsync(new HealthCheckContext());
            caughtUp.Data["paused-relay.pendingEvents"].ShouldBe(0L);
            caughtUp.Data["eventsAboveHighWaterMark"].ShouldBe(0L);
        }
        finally
        {
            paused.Release.TrySetResult();
            await stop.CancelAsync();
            await running;
        }
    }

    private static SubscriptionStatus Relay(string name, long pending, DateTimeOffset? oldest, bool leader = true) =>
        new(name, new SubscriptionPosition(100), SubscriptionState.Running, 0, null, null, null, null, null, pending, oldest, leader, Now);

    private static async Task AppendAsync(EventStore.EventStore store)
    {
        var organisation = OrganisationId.New();
        await using var write = await store.OpenWriteTransactionAsync(EventMetadata.None);
        write.Session.Events.StartStream(Guid.CreateVersion7(),
            new OrganisationRegistered(organisation, "Health check test agency", Sector.Other, null, null, new ActedBy(organisation, null, null), DateTimeOffset.UtcNow));
        (await write.CommitAsync(CancellationToken.None)).ShouldBeTrue();
    }

    /// <summary>Holds the first page until the test releases it: a relay stuck on a slow broker, made certain.</summary>
    private sealed class PausedHandler : ISubscriptionHandler
    {
        public TaskCompletionSource Entered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public async Task HandleAsync(SubscriptionPage page, CancellationToken cancellationToken)
        {
            Entered.TrySetResult();
            await Release.Task.WaitAsync(cancellationToken);
        }
    }
}
