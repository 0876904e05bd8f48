using Patchwork.Server.PartnerBus;
using Patchwork.Server.Tests.PartnerBus;
using Patchwork.Testing;
using Xunit.Abstractions;
using static Patchwork.Server.Tests.PartnerBus.PartnerRelayRig;

namespace Patchwork.Server.Tests.Faults;

/// <summary>
/// DESIGN.md §7, issue 26's fault suite: PostgreSQL SIGKILLed and restarted while 16 partner callers record involvements
/// over HTTP on a server process. Every request is answered 2xx, 409/412, or 503 with Retry-After — never a 500 and never
/// silence; every write acknowledged is in the log afterwards; the partner relay resumes by itself, and every involvement
/// in the log reaches the partner's queue. On a PostgreSQL cluster of the class's own: the shared one is never killed.
/// </summary>
public sealed class PostgresRestartTests(PrivatePostgres postgres, RabbitVirtualHost virtualHost, ITestOutputHelper output)
    : IClassFixture<PrivatePostgres>, IClassFixture<RabbitVirtualHost>
{
    private const int ClientsPerCaller = 6;
    private const int AcknowledgedBeforeKill = 100;
    private const int AcknowledgedAfterRestart = 100;

    [Fact]
    public async Task Killed_and_restarted_under_16_writers_it_answers_2xx_409_or_503_with_Retry_After_and_loses_no_write_and_no_notice()
    {
        var started = DateTime.UtcNow;
        var schema = PostgresSchema.On(postgres);
        await schema.InitializeAsync();
        var rig = OnSharedBroker(schema, virtualHost);
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

            await Eventually.Within(TimeSpan.FromSeconds(120), () => Task.FromResult(load.AcknowledgedSentSince(started) >= AcknowledgedBeforeKill),
                $"{AcknowledgedBeforeKill} involvements acknowledged before the kill");
            var killedAt = DateTime.UtcNow;
            await postgres.KillAsync();
            // The outage is seen: at least one refusal per caller while the database is down.
            try
            {
                await Eventually.Within(TimeSpan.FromSeconds(60), () => Task.FromResult(load.UnavailableSince(killedAt) >= PartnerWriteLoad.Callers),
                    $"{PartnerWriteLoad.Callers} requests answered 503 while PostgreSQL is down");
            }
            catch (TimeoutException unseen)
            {
                throw new TimeoutException($"{unseen.Message}; answers so far by status: {load.ByStatus}; the server said:\n{process.LastSaid}", unseen);
            }
            var unavailableWhileDown = load.UnavailableSince(killedAt);
            var restartedAt = DateTime.UtcNow;
            await postgres.StartAsync();
            var downFor = DateTime.UtcNow - killedAt;
            // This process's pool still holds connections to the killed server; the server's pool finds out by itself.
            store.DataSource.Clear();

            try
            {
                await Eventually.Within(TimeSpan.FromSeconds(120), () => Task.FromResult(load.AcknowledgedSentSince(restartedAt) >= AcknowledgedAfterRestart),
                    $"{AcknowledgedAfterRestart} involvements acknowledged after the restart");
            }
            catch (TimeoutException stuck)
            {
                throw new TimeoutException($"{stuck.Message}; the server said:\n{process.LastSaid}", stuck);
            }
            await load.StopAsync();

            var answers = load.Answers;
            var writes = load.Writes;
            var acknowledged = writes.Where(w => w.Acknowledged).Select(w => w.Involvement).ToHashSet();
            var foundOnRetry = writes.Where(w => w.FoundOnRetry).Select(w => w.Involvement).ToHashSet();
            var inTheLog = await PartnerWriteLoad.RecordedInTheLogAsync(store, clients, Police);
            var afterRestart = writes.Where(w => w.Acknowledged && w.SentAt >= restartedAt).Select(w => w.Involvement).ToHashSet();

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
            var heardInvolvements = heard.Select(n => n.Involvement!.Value).ToHashSet();

            output.WriteLine($"PostgreSQL down for {downFor.TotalSeconds:0.0} s (SIGKILL to accepting connections after crash recovery); whole test {(DateTime.UtcNow - started).TotalSeconds:0} s");
            output.WriteLine($"{answers.Count} requests from {PartnerWriteLoad.Callers} callers, by status: {load.ByStatus}; 503 while down: {unavailableWhileDown}; 503 without Retry-After: {answers.Count(a => a.Status == 503 && !a.RetryAfter)}");
            output.WriteLine($"{writes.Count} involvements attempted: {acknowledged.Count} acknowledged ({afterRestart.Count} sent after the restart), " +
                $"{foundOnRetry.Count} found on retry (committed, answer lost); in the log afterwards: {inTheLog.Count}, " +
                $"acknowledged and missing: {acknowledged.Except(inTheLog).Count()}");
            output.WriteLine($"notices expected {inTheLog.Count}, received {heard.Count} ({heardInvolvements.Count} distinct involvements, " +
                $"{heard.Count - heard.Select(n => n.MessageId).Distinct().Count()} repeats by message id), lost {inTheLog.Except(heardInvolvements).Count()}");

            load.OutsideTheContract.ShouldBeEmpty("every request is answered 2xx, 409/412, or 503 with Retry-After: never a 500, never silence; " +
                $"outside it: {load.OutsideTheContractDescribed}; the server said:\n{process.LastSaid}");
            answers.Count(a => a.Status == 503).ShouldBeGreaterThanOrEqualTo(PartnerWriteLoad.Callers, "the outage was seen");
            writes.ShouldAllBe(w => w.Acknowledged || w.FoundOnRetry, "each involvement ends acknowledged or found recorded on its retry");
            acknowledged.Except(inTheLog).ShouldBeEmpty("every acknowledged write is in the log afterwards");
            foundOnRetry.Except(inTheLog).ShouldBeEmpty();
            inTheLog.ShouldBeSubsetOf(writes.Select(w => w.Involvement), "the log holds nothing the callers did not send");
            afterRestart.Count.ShouldBeGreaterThanOrEqualTo(AcknowledgedAfterRestart);
            heardInvolvements.ShouldBe(inTheLog, ignoreOrder: true, "0 notices lost, none about anything else: the relay resumed after the restart");
            heard.ShouldAllBe(n => n.Type == "InvolvementBecameVisible" && n.MessageId == n.NoticeId.ToString());
            heard.GroupBy(n => n.Involvement).ShouldAllBe(g => g.Select(n => n.NoticeId).Distinct().Count() == 1, "a repeat carries the same id");
            server.HasExited.ShouldBeFalse("the server rode the outage out without a restart");
        }
        finally
        {
            if (!server.HasExited) server.Kill(entireProcessTree: true);
            await server.WaitForExitAsync();
            server.Dispose();
        }
    }
}
