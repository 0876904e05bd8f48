using Patchwork.Core;
using Patchwork.Server.Tokens;
using Patchwork.Testing;
using static Patchwork.Server.Tests.PartnerBus.PartnerRelayRig;

namespace Patchwork.Server.Tests.PartnerBus;

/// <summary>
/// Two server processes on one database: the relays are Marten subscriptions under the async daemon's HotCold mode, so
/// one node leads them and the other stands by. The leader is killed with SIGKILL while the log grows; the standby takes
/// the relays over, and every notice arrives without either node being restarted.
/// </summary>
public sealed class RelayFailoverTests(PostgresSchema schema, RabbitVirtualHost virtualHost)
    : IClassFixture<PostgresSchema>, IClassFixture<RabbitVirtualHost>
{
    private const int AppendedAfterKill = 50;

    [Fact]
    public async Task When_the_leading_node_is_killed_the_standing_by_node_takes_the_relay_over_and_no_notice_is_lost()
    {
        var rig = PartnerRelayRig.OnSharedBroker(schema, virtualHost);
        await using var store = await rig.StartStoreAsync();
        var directory = rig.Directory(store);
        var police = await rig.RegisterPartnerAsync(directory, Police, PartnerScopes.Read);
        await using var queue = await rig.OpenQueueAsync(police);

        var first = new RelayServerProcess(schema.Name, virtualHost);
        var second = new RelayServerProcess(schema.Name, virtualHost);
        var leader = first.Start();
        System.Diagnostics.Process? standby = null;
        try
        {
            var recorded = new List<Guid>();
            var killed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var appending = AppendUntilAfterAsync(store, Police, recorded, killed.Task, AppendedAfterKill);

            // The first node alone: it leads, and the partner hears from it.
            try
            {
                await queue.UntilAsync(heard => heard.Count >= 10, "the first node to relay some notices", TimeSpan.FromSeconds(300));
            }
            catch (TimeoutException silent)
            {
                throw new TimeoutException($"{silent.Message}; {queue.Gathered} heard; the first node said:\n{first.LastSaid}", silent);
            }

            // The second node joins and is ready (its daemon started, standing by), then the leader dies mid-relay.
            standby = second.Start();
            await second.ReadyAsync(standby, TimeSpan.FromSeconds(240));
            leader.Kill(entireProcessTree: true);
            await leader.WaitForExitAsync();
            killed.SetResult();
            await appending;
            var involvements = recorded.Count;

            List<Heard> heard;
            try
            {
                heard = await queue.UntilAsync(h => h.Select(n => n.Involvement).Distinct().Count() >= involvements,
                    $"a notice for each of the {involvements} involvements, {AppendedAfterKill} of them recorded after the leader died", TimeSpan.FromSeconds(240));
            }
            catch (TimeoutException silent)
            {
                throw new TimeoutException($"{silent.Message}; {queue.Gathered} heard; the second node said:\n{second.LastSaid}", silent);
            }
            heard.AddRange(await queue.DrainAsync());

            standby.HasExited.ShouldBeFalse("the standby took over without a restart");
            heard.Select(n => n.Involvement!.Value).Distinct().Order().ShouldBe(recorded.Order(), "0 lost");
            heard.ShouldAllBe(n => n.Type == "InvolvementBecameVisible" && n.MessageId == n.NoticeId.ToString());
            foreach (var repeats in heard.GroupBy(n => n.Involvement)) repeats.Select(n => n.NoticeId).Distinct().ShouldHaveSingleItem();
            Console.WriteLine($"{involvements} involvements, {heard.Count} notices heard, {heard.Count - involvements} repeats after the failover");
        }
        finally
        {
            if (!leader.HasExited) leader.Kill(entireProcessTree: true);
            leader.Dispose();
            if (standby is { HasExited: false }) standby.Kill(entireProcessTree: true);
            standby?.Dispose();
        }
    }
}
