using Microsoft.Extensions.DependencyInjection;
using Patchwork.Core;
using Patchwork.Core.Consents;
using Patchwork.EventStore;
using Patchwork.Server.PartnerBus;
using Patchwork.Server.Tests.Foundation;
using Patchwork.Server.Tokens;
using Patchwork.Testing;

using static Patchwork.Server.Tests.PartnerBus.PartnerRelayRig;

namespace Patchwork.Server.Tests.PartnerBus;

/// <summary>
/// The partner relay's told-list commits with its checkpoint: a page relayed, then cut short by a crash before the
/// checkpoint, comes again decided from the same told-list, so a partner hears the same notices again with the same
/// ids — "no longer shared" included, which is told only to an organisation the told-list says was told.
/// </summary>
public sealed class PartnerRelayReplayTests(PostgresSchema schema, RabbitVirtualHost virtualHost)
    : IClassFixture<PostgresSchema>, IClassFixture<RabbitVirtualHost>
{
    [Fact]
    public async Task A_page_that_comes_again_after_a_crash_before_its_checkpoint_tells_the_same_notices_with_the_same_ids()
    {
        var rig = PartnerRelayRig.OnSharedBroker(schema, virtualHost);
        await using var store = await rig.StartStoreAsync();
        var directory = rig.Directory(store);
        var police = await rig.RegisterPartnerAsync(directory, Police, PartnerScopes.Read);
        var client = ClientId.New();
        var socialWorker = InvolvementId.New();
        var consent = ConsentId.New();
        await AppendAsync(store, client, Involvement(client, socialWorker, SocialCare), Involvement(client, InvolvementId.New(), Police),
            ConsentTo(client, consent, Sector.Police));

        using var host = rig.RelayHost(store, directory);
        await host.StartAsync();
        var relay = host.Services.GetRequiredService<PartnerRelay>();
        await using var policeQueue = await rig.OpenQueueAsync(police);
        try
        {
            // The log so far, relayed and checkpointed as the daemon does: the police are told of the social worker.
            using (var stop = new CancellationTokenSource())
            {
                var runner = store.CreateSubscriptionRunner(PartnerRelay.SubscriptionName, relay, PartnerRelay.Options(TimeSpan.FromMilliseconds(200)));
                var running = runner.RunAsync(stop.Token);
                await policeQueue.UntilAsync(heard => heard.Any(n => n.Type == "InvolvementBecameVisible" && n.Involvement == socialWorker.Value),
                    "the police told of the social worker");
                await Eventually.Within(TimeSpan.FromSeconds(90), async () => (await store.GetSubscriptionStatusAsync(PartnerRelay.SubscriptionName))!.PendingEvents == 0,
                    "the relay to checkpoint the end of the log");
                await stop.CancelAsync();
                await running;
            }
            await policeQueue.DrainAsync();

            // The consent is withdrawn. Its page is relayed, and the node dies before the checkpoint: the page's own
            // transaction has committed, as the runner commits it, but nothing queued with the checkpoint has.
            await AppendAsync(store, client, new ConsentWithdrawn(consent, client, Admin, DateTimeOffset.UtcNow));
            var withdrawal = (await StoredStreams.FetchAsync(store, client.Value)).Where(e => e.Name == EventNames.ConsentWithdrawn).ToList();
            withdrawal.Count.ShouldBe(1);
            await RelayWithoutCheckpointAsync(store, relay, withdrawal);
            var first = await policeQueue.UntilAsync(heard => heard.Any(n => n.Type == "InvolvementNoLongerShared"), "the police told the social worker is no longer shared");

            // The daemon hands the page over again.
            await RelayWithoutCheckpointAsync(store, relay, withdrawal);
            var again = await policeQueue.UntilAsync(heard => heard.Count(n => n.Type == "InvolvementNoLongerShared") == 2,
                "the page relayed again to tell the police again that the social worker is no longer shared");

            var unshared = again.Where(n => n.Type == "InvolvementNoLongerShared").ToList();
            unshared.ShouldAllBe(n => n.Involvement == socialWorker.Value);
            unshared.Select(n => n.MessageId).Distinct().Count().ShouldBe(1, "the repeat has the first delivery's message id");
            first.Single(n => n.Type == "InvolvementNoLongerShared").MessageId.ShouldBe(unshared[1].MessageId);
        }
        finally
        {
            await host.StopAsync();
        }
    }

    /// <summary>One attempt at a page as the subscription runner makes it, ending where a crash before the checkpoint would.</summary>
    private static async Task RelayWithoutCheckpointAsync(EventStore.EventStore store, PartnerRelay relay, IReadOnlyList<RecordedEvent> events)
    {
        await using var connection = await store.DataSource.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await relay.HandleAsync(new SubscriptionPage(PartnerRelay.SubscriptionName, events, connection, transaction), default);
        await transaction.CommitAsync();
    }
}
