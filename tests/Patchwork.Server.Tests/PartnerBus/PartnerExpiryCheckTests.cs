using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Patchwork.Core;
using Patchwork.Core.Access;
using Patchwork.Core.Clients;
using Patchwork.Core.Consents;
using Patchwork.Server.PartnerBus;
using Patchwork.Server.Tokens;
using Patchwork.Testing;
using static Patchwork.Server.Tests.PartnerBus.PartnerRelayRig;

namespace Patchwork.Server.Tests.PartnerBus;

/// <summary>A consent that runs out by the calendar: no event marks it, and the partner must still be told.</summary>
public sealed class PartnerExpiryCheckTests(PostgresSchema schema, RabbitVirtualHost virtualHost)
    : IClassFixture<PostgresSchema>, IClassFixture<RabbitVirtualHost>
{
    [Fact]
    public async Task When_a_consent_expires_the_partner_is_told_no_longer_shared_once_however_many_nodes_check()
    {
        var rig = PartnerRelayRig.OnSharedBroker(schema, virtualHost);
        await using var store = await rig.StartStoreAsync();
        var directory = rig.Directory(store);
        var police = await rig.RegisterPartnerAsync(directory, Police, PartnerScopes.Read);

        var client = ClientId.New();
        var socialWorker = InvolvementId.New();
        // The checking nodes run on a clock the test moves (the server's one clock is a TimeProvider): the consent expires
        // an hour from now, and the test moves the nodes' clock past it instead of waiting.
        var clock = new Tokens.ManualClock(DateTimeOffset.UtcNow);
        var expiresAt = clock.GetUtcNow().AddHours(1);
        await AppendAsync(store, client, Involvement(client, socialWorker, SocialCare), Involvement(client, InvolvementId.New(), Police),
            ConsentTo(client, ConsentId.New(), Sector.Police) with { ExpiresAt = expiresAt });

        using var host = rig.RelayHost(store, directory);
        await host.StartAsync();
        using var stop = new CancellationTokenSource();
        var runner = store.CreateSubscriptionRunner(PartnerRelay.SubscriptionName, host.Services.GetRequiredService<PartnerRelay>(),
            PartnerRelay.Options(TimeSpan.FromMilliseconds(200)));
        var running = runner.RunAsync(stop.Token);
        try
        {
            await using var queue = await rig.OpenQueueAsync(police);
            await queue.UntilAsync(heard => heard.Any(n => n.Involvement == socialWorker.Value && n.Type == "InvolvementBecameVisible"),
                "the police told of the social worker while the consent holds");
            PartnerExpiryCheck Node() => new(store, host.Services.GetRequiredService<ClientTeamReader>(), directory, host.Services.GetRequiredService<IBus>(),
                host.Services.GetRequiredService<PolicyOptions>(), clock, new ConfigurationBuilder().Build(), NullLogger<PartnerExpiryCheck>.Instance);
            var (first, second) = (Node(), Node());

            (await first.CheckOnceAsync(default)).ShouldBe(0, "nothing has expired yet");
            clock.Advance(TimeSpan.FromHours(1) + TimeSpan.FromMinutes(1));
            clock.GetUtcNow().ShouldBeGreaterThan(expiresAt, "the consent has expired by the nodes' clock");

            // Two nodes check at once, then again: one notice in all.
            var both = await Task.WhenAll(first.CheckOnceAsync(default), second.CheckOnceAsync(default));
            var again = await Task.WhenAll(first.CheckOnceAsync(default), second.CheckOnceAsync(default));
            both.Sum(sent => sent ?? 0).ShouldBe(1, $"both checks: {string.Join(", ", both)}");
            again.Sum(sent => sent ?? 0).ShouldBe(0, "the organisation's record of the involvement is gone once it was told");

            var heard = await queue.UntilAsync(h => h.Any(n => n.Type == "InvolvementNoLongerShared"), "the police told the social worker is no longer shared");
            heard.AddRange(await queue.DrainAsync());
            heard.Where(n => n.Type == "InvolvementNoLongerShared").ShouldHaveSingleItem().Involvement.ShouldBe(socialWorker.Value);
            heard.ShouldAllBe(n => n.MessageId == n.NoticeId.ToString());
        }
        finally
        {
            await stop.CancelAsync();
            await running.ContinueWith(_ => { }, TaskScheduler.Default);
            await host.StopAsync();
        }
    }
}
