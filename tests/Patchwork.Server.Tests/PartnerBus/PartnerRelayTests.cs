using Microsoft.Extensions.DependencyInjection;
using Patchwork.Core;
using Patchwork.Core.Consents;
using Patchwork.EventStore;
using Patchwork.Server.PartnerBus;
using Patchwork.Server.Tokens;
using Patchwork.Testing;

using static Patchwork.Server.Tests.PartnerBus.PartnerRelayRig;

namespace Patchwork.Server.Tests.PartnerBus;

/// <summary>
/// The partner relay end to end on the real broker: what each partner organisation's queue receives, read with
/// the partner's own broker credentials and a plain AMQP client, as a partner system would.
/// </summary>
public sealed class PartnerRelayTests(PostgresSchema schema, RabbitVirtualHost virtualHost)
    : IClassFixture<PostgresSchema>, IClassFixture<RabbitVirtualHost>
{

    [Fact]
    public async Task Each_partner_hears_only_of_its_own_clients_and_nothing_that_was_withdrawn_before_delivery()
    {
        var rig = PartnerRelayRig.OnSharedBroker(schema, virtualHost);
        await using var store = await rig.StartStoreAsync();
        var directory = rig.Directory(store);
        var police = await rig.RegisterPartnerAsync(directory, Police, PartnerScopes.Read);
        var health = await rig.RegisterPartnerAsync(directory, HealthTrust, PartnerScopes.Read);

        // Before the relay runs: a client only health works with, a shared client with consent to the police, and one whose consent was withdrawn.
        var onlyHealth = ClientId.New();
        var shared = ClientId.New();
        var withdrawn = ClientId.New();
        var nurse = InvolvementId.New();
        var socialWorker = InvolvementId.New();
        var officer = InvolvementId.New();
        var withdrawnSocialWorker = InvolvementId.New();
        var withdrawnOfficer = InvolvementId.New();
        var consent = ConsentId.New();
        var withdrawnConsent = ConsentId.New();
        await AppendAsync(store, onlyHealth, Involvement(onlyHealth, nurse, HealthTrust), ConsentTo(onlyHealth, ConsentId.New(), Sector.Police));
        await AppendAsync(store, shared, Involvement(shared, socialWorker, SocialCare), Involvement(shared, officer, Police), ConsentTo(shared, consent, Sector.Police));
        await AppendAsync(store, withdrawn, Involvement(withdrawn, withdrawnSocialWorker, SocialCare), Involvement(withdrawn, withdrawnOfficer, Police),
            ConsentTo(withdrawn, withdrawnConsent, Sector.Police), new ConsentWithdrawn(withdrawnConsent, withdrawn, Admin, Now));

        using var host = rig.RelayHost(store, directory);
        await host.StartAsync();
        using var stop = new CancellationTokenSource();
        var runner = store.CreateSubscriptionRunner(PartnerRelay.SubscriptionName, host.Services.GetRequiredService<PartnerRelay>(),
            PartnerRelay.Options(TimeSpan.FromMilliseconds(200)));
        var running = runner.RunAsync(stop.Token);
        try
        {
            await using var policeQueue = await rig.OpenQueueAsync(police);
            await using var healthQueue = await rig.OpenQueueAsync(health);
            var policeHeard = await policeQueue.UntilAsync(heard => heard.Count(n => n.Client == shared.Value) == 2, "the police's two notices about the shared client");
            await Eventually.Within(TimeSpan.FromSeconds(90), async () => (await store.GetSubscriptionStatusAsync(PartnerRelay.SubscriptionName))!.PendingEvents == 0,
                "the relay to reach the end of the log");
            var healthHeard = await healthQueue.UntilAsync(heard => heard.Any(n => n.Involvement == nurse.Value), "health's notice of its own involvement");
            policeHeard.AddRange(await policeQueue.DrainAsync());

            policeHeard.Where(n => n.Client == shared.Value).Select(n => (n.Type, n.Involvement)).ShouldBe(
                [("InvolvementBecameVisible", officer.Value), ("InvolvementBecameVisible", socialWorker.Value)], ignoreOrder: true);
            policeHeard.ShouldNotContain(n => n.Client == onlyHealth.Value, "the police work with no such client");
            policeHeard.ShouldNotContain(n => n.Involvement == withdrawnSocialWorker.Value, "consent was withdrawn before the notice was delivered");
            policeHeard.ShouldContain(n => n.Involvement == withdrawnOfficer.Value && n.Type == "InvolvementBecameVisible");
            healthHeard.ShouldAllBe(n => n.Client == onlyHealth.Value);
            policeHeard.Concat(healthHeard).ShouldAllBe(n => n.MessageId == n.NoticeId.ToString());

            // Live: the consent is withdrawn now, and the police are told the social worker is no longer shared, without why.
            await AppendAsync(store, shared, new ConsentWithdrawn(consent, shared, Admin, DateTimeOffset.UtcNow));
            var unshared = await policeQueue.UntilAsync(heard => heard.Any(n => n.Type == "InvolvementNoLongerShared"), "the police told the involvement is no longer shared");
            unshared.Single(n => n.Type == "InvolvementNoLongerShared").Involvement.ShouldBe(socialWorker.Value);
        }
        finally
        {
            await stop.CancelAsync();
            await running.ContinueWith(_ => { }, TaskScheduler.Default);
            await host.StopAsync();
        }
    }
}
