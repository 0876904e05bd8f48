using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Patchwork.Core;
using Patchwork.Server.PartnerBus;
using Patchwork.Server.Tokens;
using Patchwork.Testing;
using static Patchwork.Server.Tests.PartnerBus.PartnerRelayRig;

namespace Patchwork.Server.Tests.PartnerBus;

/// <summary>The server process killed with SIGKILL while its relay is sending: after a restart, no partner notice is missing.</summary>
public sealed class PartnerRelayCrashTests(PostgresSchema schema, RabbitVirtualHost virtualHost)
    : IClassFixture<PostgresSchema>, IClassFixture<RabbitVirtualHost>
{
    private const int AppendedAfterKill = 50;

    [Fact]
    public async Task A_server_killed_mid_relay_loses_no_notice_and_a_repeat_has_the_same_message_id()
    {
        var rig = PartnerRelayRig.OnSharedBroker(schema, virtualHost);
        await using var store = await rig.StartStoreAsync();
        var directory = rig.Directory(store);
        var police = await rig.RegisterPartnerAsync(directory, Police, PartnerScopes.Read);
        await using var queue = await rig.OpenQueueAsync(police);

        var process = new RelayServerProcess(schema.Name, virtualHost);
        var server = process.Start();
        try
        {
            // The police record their own involvements; each one is a notice to the police's queue. Appends go on until
            // 50 after the kill, so the server dies with the log still growing beneath a relay that is mid-stream.
            var recorded = new List<Guid>();
            var killed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var appending = AppendUntilAfterAsync(store, Police, recorded, killed.Task, AppendedAfterKill);

            // Killed once the relay has sent some: mid-relay, while appends go on.
            List<Heard> before;
            try
            {
                before = await queue.UntilAsync(heard => heard.Count >= 20, "the relay to have sent some notices", TimeSpan.FromSeconds(300));
            }
            catch (TimeoutException silent)
            {
                throw new TimeoutException($"{silent.Message}; {queue.Gathered} heard; the server said:\n{process.LastSaid}", silent);
            }
            server.Kill(entireProcessTree: true);
            await server.WaitForExitAsync();
            killed.SetResult();
            var heardBeforeKill = before.Count;
            await appending;
            var involvements = recorded.Count;
            heardBeforeKill.ShouldBeLessThan(involvements, "the kill came after the relay had finished");

            // A kill that lands after the broker confirmed a page but before its checkpoint committed leaves the checkpoint
            // behind what the partner has heard. That window is too narrow to hit by chance, so the test leaves the
            // checkpoint where such a kill would: before the first event, so every notice heard before the kill is sent again.
            await rig.RewindCheckpointAsync(PartnerRelay.SubscriptionName);

            server.Dispose();
            server = process.Start();
            List<Heard> heard;
            try
            {
                heard = await queue.WhileArrivingAsync(h => h.Select(n => n.Involvement).Distinct().Count() >= involvements && h.Count >= involvements + heardBeforeKill,
                    $"a notice for each of the {involvements} involvements, and the {heardBeforeKill} heard before the kill again, after the restart",
                    stall: TimeSpan.FromSeconds(120), limit: TimeSpan.FromMinutes(10));
            }
            catch (TimeoutException stopped)
            {
                throw new TimeoutException($"{stopped.Message}; the restarted server said:\n{process.LastSaid}", stopped);
            }
            heard.AddRange(await queue.DrainAsync());

            heard.Select(n => n.Involvement!.Value).Distinct().Order().ShouldBe(recorded.Order(), "0 lost");
            heard.ShouldAllBe(n => n.Type == "InvolvementBecameVisible" && n.MessageId == n.NoticeId.ToString());
            // A notice sent again after the restart carries the id it had before: the partner's dedupe key holds.
            var repeated = heard.GroupBy(n => n.Involvement).Where(repeats => repeats.Count() > 1).ToList();
            repeated.Count.ShouldBeGreaterThanOrEqualTo(heardBeforeKill, "every notice heard before the kill was sent again");
            foreach (var repeats in heard.GroupBy(n => n.Involvement)) repeats.Select(n => n.NoticeId).Distinct().ShouldHaveSingleItem();
            Console.WriteLine($"{heardBeforeKill} notices before SIGKILL, {heard.Count} in all, {heard.Count - involvements} repeats");
        }
        finally
        {
            if (!server.HasExited) server.Kill(entireProcessTree: true);
            server.Dispose();
        }
    }
}
