using Microsoft.Extensions.DependencyInjection;
using Patchwork.Core;
using Patchwork.EventStore;
using Patchwork.Server.PartnerBus;
using Patchwork.Server.Tokens;
using Patchwork.Testing;
using static Patchwork.Server.Tests.PartnerBus.PartnerRelayRig;

namespace Patchwork.Server.Tests.PartnerBus;

/// <summary>DESIGN.md §7: broker killed mid-run → 0 events lost, 0 duplicate effects. On a broker node of its own.</summary>
public sealed class PartnerRelayBrokerOutageTests(PostgresSchema schema, PrivateBroker broker)
    : IClassFixture<PostgresSchema>, IClassFixture<PrivateBroker>
{
    private const int Appends = 2_000;

    [Fact]
    public async Task With_the_broker_killed_during_2000_appends_every_notice_arrives_and_a_repeat_has_the_same_id()
    {
        var rig = PartnerRelayRig.OnPrivateBroker(schema, broker);
        await using var store = await rig.StartStoreAsync();
        var directory = rig.Directory(store);
        var police = await rig.RegisterPartnerAsync(directory, Police, PartnerScopes.Read);
        using var host = rig.RelayHost(store, directory);
        await host.StartAsync();
        using var stop = new CancellationTokenSource();
        var relay = new LosesOneCheckpoint(host.Services.GetRequiredService<PartnerRelay>());
        var running = store.CreateSubscriptionRunner(PartnerRelay.SubscriptionName, relay, PartnerRelay.Options(TimeSpan.FromMilliseconds(200)))
            .RunAsync(stop.Token);
        // Another subscription on the same log, needing no broker: it must keep reading while the partner relay waits.
        var bystander = new Bystander();
        var watching = store.CreateSubscriptionRunner("bystander", bystander, new SubscriptionOptions { PollInterval = TimeSpan.FromMilliseconds(200) })
            .RunAsync(stop.Token);
        try
        {
            // Each append records a police officer's involvement with a new client: one notice each for the police. The
            // broker is down from the 200th append until the 1000th has been read by the bystander, however long that takes.
            var expected = new HashSet<Guid>();
            for (var i = 0; i < Appends; i++)
            {
                if (i == 200) await broker.KillAsync();
                var client = ClientId.New();
                var involvement = InvolvementId.New();
                expected.Add(involvement.Value);
                await AppendAsync(store, client, Involvement(client, involvement, Police));
                if (i == 1_000)
                {
                    // The partner relay has waited on the absent broker for 800 appends. A transaction id it held open
                    // meanwhile would stop every subscription in the cluster at that point; this one reads on.
                    await Eventually.Within(TimeSpan.FromSeconds(120), () => Task.FromResult(bystander.Read(client.Value)),
                        "another subscription to read an append made while the partner relay waits on the broker");
                    var waiting = (await store.GetSubscriptionStatusAsync(PartnerRelay.SubscriptionName)).ShouldNotBeNull();
                    waiting.PendingEvents.ShouldBeGreaterThan(0, "the partner relay is held up by the outage");
                    broker.IsRunning.ShouldBeFalse("the bystander read it during the outage");
                    // The first page the relay sends once the broker is back is confirmed, then its checkpoint is lost,
                    // as when the connection drops between the two: that page is sent again.
                    relay.Arm();
                    await broker.StartAsync();
                }
            }

            await using var queue = await rig.OpenQueueAsync(police);
            List<Heard> heard;
            try
            {
                heard = await queue.UntilAsync(h => h.Select(n => n.Involvement).Distinct().Count() >= Appends && h.Count > Appends,
                    "every notice after the broker came back, and the page whose checkpoint was lost again", TimeSpan.FromSeconds(240));
            }
            catch (TimeoutException missing)
            {
                var status = await store.GetSubscriptionStatusAsync(PartnerRelay.SubscriptionName);
                throw new TimeoutException($"{missing.Message}; {queue.Gathered} notices heard; the relay: {status}", missing);
            }
            heard.AddRange(await queue.DrainAsync());

            relay.LostCheckpoints.ShouldBe(1);
            heard.Select(n => n.Involvement!.Value).ToHashSet().SetEquals(expected).ShouldBeTrue("0 lost, none about anything else");
            heard.GroupBy(n => n.Involvement).Count(g => g.Count() > 1).ShouldBeGreaterThan(0, "the page whose checkpoint was lost was sent again");
            heard.GroupBy(n => n.Involvement).ShouldAllBe(g => g.Select(n => n.NoticeId).Distinct().Count() == 1,
                "a redelivered notice carries the same id, so the receiver's dedupe absorbs it");
            heard.ShouldAllBe(n => n.MessageId == n.NoticeId.ToString());
            (await store.GetSubscriptionStatusAsync(PartnerRelay.SubscriptionName))!.State.ShouldBe(SubscriptionState.Running);
        }
        finally
        {
            await stop.CancelAsync();
            await running.ContinueWith(_ => { }, TaskScheduler.Default);
            await watching.ContinueWith(_ => { }, TaskScheduler.Default);
            await host.StopAsync();
        }
    }

    /// <summary>
    /// The relay, except that once armed, the first page it sends in full (every publish confirmed) then fails before its
    /// checkpoint commits: a deterministic stand-in for a connection lost between the broker's confirm and the commit.
    /// </summary>
    private sealed class LosesOneCheckpoint(PartnerRelay relay) : ISubscriptionHandler
    {
        private int _armed;
        private int _lost;

        public int LostCheckpoints => Volatile.Read(ref _lost);

        public void Arm() => Volatile.Write(ref _armed, 1);

        public async Task HandleAsync(SubscriptionPage page, CancellationToken cancellationToken)
        {
            await relay.HandleAsync(page, cancellationToken);
            if (Volatile.Read(ref _armed) == 1 && page.Events.Any(e => e.Name == EventNames.InvolvementRecorded)
                && Interlocked.Exchange(ref _armed, 0) == 1)
            {
                Interlocked.Increment(ref _lost);
                throw new IOException("The connection dropped after the broker confirmed the page (test)");
            }
        }
    }

    private sealed class Bystander : ISubscriptionHandler
    {
        private readonly System.Collections.Concurrent.ConcurrentDictionary<Guid, bool> _streams = new();

        public bool Read(Guid stream) => _streams.ContainsKey(stream);

        public Task HandleAsync(SubscriptionPage page, CancellationToken cancellationToken)
        {
            foreach (var recorded in page.Events) _streams[recorded.StreamId] = true;
            return Task.CompletedTask;
        }
    }
}
