using Patchwork.EventStore;
using Patchwork.Server.PartnerBus;
using Patchwork.Server.Tests.PartnerBus;
using Patchwork.Testing;
using RabbitMQ.Client;
using Xunit.Abstractions;
using static Patchwork.Server.Tests.PartnerBus.PartnerRelayRig;

namespace Patchwork.Server.Tests.Faults;

/// <summary>
/// DESIGN.md §7, issue 26's fault suite: the broker's memory alarm goes off while 16 partner callers record involvements
/// over HTTP on a server process. The broker stops reading from every connection that publishes, the relay's included;
/// the writes go on being acknowledged, because the event log is the outbox; the relay holds its checkpoint, publishing
/// nothing about what was written during the alarm, and catches up once the alarm clears: every involvement in
/// the log reaches the partner's queue, and a page sent again repeats its notices' ids, so a consumer that dedupes by
/// message id sees each effect once. On a broker node of the class's own.
/// </summary>
public sealed class BrokerMemoryAlarmTests(PostgresSchema schema, PrivateBroker broker, ITestOutputHelper output)
    : IClassFixture<PostgresSchema>, IClassFixture<PrivateBroker>
{
    private const int ClientsPerCaller = 6;
    private const int NoticesBeforeAlarm = 50;
    private const int AcknowledgedDuringAlarm = 100;
    private const int AcknowledgedAfterAlarm = 100;

    [Fact]
    public async Task Under_a_memory_alarm_writes_go_on_the_relay_waits_and_catches_up_with_0_lost_and_0_duplicate_effects()
    {
        var started = DateTime.UtcNow;
        var rig = OnPrivateBroker(schema, broker);
        await using var store = await rig.StartStoreAsync();
        var clients = await PartnerWriteLoad.GivenClientsAsync(store, PartnerWriteLoad.Callers * ClientsPerCaller);
        var process = new RelayServerProcess(schema, rig.Broker);
        var server = process.Start();
        try
        {
            await process.ReadyAsync(server, TimeSpan.FromSeconds(180));
            var (load, partner) = await PartnerWriteLoad.StartAsync(rig, rig.Directory(store), Police, process.Address!, clients);
            await using var _ = load;
            await using var queue = await rig.OpenQueueAsync(partner);
            await queue.UntilAsync(h => h.Count >= NoticesBeforeAlarm, $"{NoticesBeforeAlarm} notices relayed before the alarm", TimeSpan.FromSeconds(120));

            // A publisher of the test's own shows the alarm is in force: the broker tells it that it is blocked.
            await using var probe = await PublishProbe.OpenAsync(rig);
            await broker.RaiseMemoryAlarmAsync();
            DateTime alarmAt, clearedAt;
            long positionAtAlarm;
            SubscriptionStatus relayDuringAlarm;
            List<Heard> heardDuringAlarm;
            HashSet<Guid> writtenDuringAlarm;
            int unavailableDuringAlarm;
            try
            {
                await probe.PublishAsync();
                await Eventually.Within(TimeSpan.FromSeconds(60), () => Task.FromResult(probe.Blocked is not null), "the broker to block a publisher");
                alarmAt = DateTime.UtcNow;
                positionAtAlarm = (await store.GetSubscriptionStatusAsync(PartnerRelay.SubscriptionName))!.Position.Sequence;

                // The alarm holds until the writers have gone on well past it.
                try
                {
                    await Eventually.Within(TimeSpan.FromSeconds(120), () => Task.FromResult(load.AcknowledgedSentSince(alarmAt) >= AcknowledgedDuringAlarm),
                        $"{AcknowledgedDuringAlarm} involvements acknowledged during the alarm");
                }
                catch (TimeoutException stuck)
                {
                    throw new TimeoutException($"{stuck.Message}; answers by status: {load.ByStatus}; the server said:\n{process.LastSaid}", stuck);
                }
                // Gathered with the rest (the queue keeps what it has heard), and looked at on its own below.
                heardDuringAlarm = await queue.UntilAsync(_ => true, "what has been heard by now");
                relayDuringAlarm = (await store.GetSubscriptionStatusAsync(PartnerRelay.SubscriptionName))!;
                writtenDuringAlarm = load.Writes.Where(w => w.Acknowledged && w.SentAt >= alarmAt).Select(w => w.Involvement).ToHashSet();
                unavailableDuringAlarm = load.Answers.Count(a => a.SentAt >= alarmAt && a.Status is < 200 or >= 300);
            }
            finally
            {
                // Cleared whatever happened: the alarm must not outlive the test on the class's node.
                clearedAt = DateTime.UtcNow;
                await broker.ClearMemoryAlarmAsync();
            }
            await Eventually.Within(TimeSpan.FromSeconds(60), () => Task.FromResult(probe.Unblocked is not null), "the broker to unblock the publisher");
            var alarmFor = clearedAt - alarmAt;

            await Eventually.Within(TimeSpan.FromSeconds(120), () => Task.FromResult(load.AcknowledgedSentSince(clearedAt) >= AcknowledgedAfterAlarm),
                $"{AcknowledgedAfterAlarm} involvements acknowledged after the alarm");
            await load.StopAsync();

            var answers = load.Answers;
            var writes = load.Writes;
            var acknowledged = writes.Where(w => w.Acknowledged).Select(w => w.Involvement).ToHashSet();
            var inTheLog = await PartnerWriteLoad.RecordedInTheLogAsync(store, clients, Police);
            List<Heard> heard;
            try
            {
                heard = await queue.WhileArrivingAsync(h => inTheLog.IsSubsetOf(h.Select(n => n.Involvement!.Value)),
                    $"a notice for each of the {inTheLog.Count} involvements in the log", stall: TimeSpan.FromSeconds(60), limit: TimeSpan.FromSeconds(240));
            }
            catch (TimeoutException silent)
            {
                var status = await store.GetSubscriptionStatusAsync(PartnerRelay.SubscriptionName);
                throw new TimeoutException($"{silent.Message}; the relay: {status}; the server said:\n{process.LastSaid}", silent);
            }
            heard.AddRange(await queue.DrainAsync());
            // What a consumer that dedupes by message id acts on: the first delivery of each id.
            var effects = heard.GroupBy(n => n.MessageId).Select(g => g.First()).ToList();
            var effectsPerInvolvement = effects.GroupBy(n => n.Involvement!.Value).ToDictionary(g => g.Key, g => g.Count());

            output.WriteLine($"memory alarm in force for {alarmFor.TotalSeconds:0.0} s (publisher blocked: {probe.Blocked}); whole test {(DateTime.UtcNow - started).TotalSeconds:0} s");
            output.WriteLine($"{answers.Count} requests from {PartnerWriteLoad.Callers} callers, by status: {load.ByStatus}; " +
                $"{writtenDuringAlarm.Count} acknowledged during the alarm, {unavailableDuringAlarm} answered otherwise during it");
            output.WriteLine($"relay during the alarm: checkpoint {positionAtAlarm} at the alarm, {relayDuringAlarm.Position.Sequence} before it cleared, " +
                $"{relayDuringAlarm.PendingEvents} events waiting; notices heard during the alarm for involvements sent during it: " +
                $"{heardDuringAlarm.Count(n => writtenDuringAlarm.Contains(n.Involvement!.Value))}");
            output.WriteLine($"{writes.Count} involvements attempted, {acknowledged.Count} acknowledged, in the log afterwards {inTheLog.Count}; " +
                $"notices expected {inTheLog.Count}, deliveries {heard.Count}, distinct message ids (effects) {effects.Count}, " +
                $"repeats absorbed by the dedupe {heard.Count - effects.Count}, lost {inTheLog.Except(effects.Select(n => n.Involvement!.Value)).Count()}, " +
                $"duplicate effects {effectsPerInvolvement.Values.Sum(c => c - 1)}");

            load.OutsideTheContract.ShouldBeEmpty($"outside the contract: {load.OutsideTheContractDescribed}");
            unavailableDuringAlarm.ShouldBe(0, "the log is the outbox: writes need no broker");
            writtenDuringAlarm.Count.ShouldBeGreaterThanOrEqualTo(AcknowledgedDuringAlarm);
            heardDuringAlarm.ShouldNotContain(n => writtenDuringAlarm.Contains(n.Involvement!.Value), "nothing is published while the alarm blocks the relay");
            relayDuringAlarm.PendingEvents.ShouldBeGreaterThan(0, "the relay waited with events behind it");
            acknowledged.Except(inTheLog).ShouldBeEmpty("every acknowledged write is in the log");
            effects.Select(n => n.Involvement!.Value).ToHashSet().SetEquals(inTheLog).ShouldBeTrue("0 notices lost, none about anything else");
            effectsPerInvolvement.Values.ShouldAllBe(count => count == 1, "0 duplicate effects: a notice sent again carries the same message id");
            heard.ShouldAllBe(n => n.Type == "InvolvementBecameVisible" && n.MessageId == n.NoticeId.ToString());
        }
        finally
        {
            if (!server.HasExited) server.Kill(entireProcessTree: true);
            await server.WaitForExitAsync();
            server.Dispose();
        }
    }

    /// <summary>A connection of the test's own that publishes one message and records the broker's blocked and unblocked notices.</summary>
    private sealed class PublishProbe : IAsyncDisposable
    {
        private readonly IConnection _connection;
        private readonly IChannel _channel;

        private PublishProbe(IConnection connection, IChannel channel)
        {
            _connection = connection;
            _channel = channel;
            connection.ConnectionBlockedAsync += (_, blocked) =>
            {
                Blocked ??= blocked.Reason;
                return Task.CompletedTask;
            };
            connection.ConnectionUnblockedAsync += (_, _) =>
            {
                if (Blocked is not null) Unblocked ??= DateTime.UtcNow;
                return Task.CompletedTask;
            };
        }

        /// <summary>The reason the broker gave when it blocked this connection, once it has.</summary>
        public string? Blocked { get; private set; }

        public DateTime? Unblocked { get; private set; }

        public static async Task<PublishProbe> OpenAsync(PartnerRelayRig rig)
        {
            var connection = await rig.ConnectAsApplicationAsync();
            return new PublishProbe(connection, await connection.CreateChannelAsync());
        }

        /// <summary>One message to nowhere (the default exchange, a queue that does not exist): enough to meet the block.</summary>
        public async Task PublishAsync() =>
            await _channel.BasicPublishAsync("", "patchwork-alarm-probe-" + Guid.NewGuid().ToString("N"), "probe"u8.ToArray());

        public async ValueTask DisposeAsync()
        {
            await _channel.DisposeAsync();
            await _connection.DisposeAsync();
        }
    }
}
