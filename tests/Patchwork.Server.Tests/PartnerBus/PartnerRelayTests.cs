using System.Text.Json;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using Patchwork.Core;
using Patchwork.Core.Access;
using Patchwork.Core.Agreements;
using Patchwork.Core.Clients;
using Patchwork.Core.Consents;
using Patchwork.Core.Involvements;
using Patchwork.Core.Organisations;
using Patchwork.EventStore;
using Patchwork.Server.Messaging;
using Patchwork.Server.PartnerBus;
using Patchwork.Server.Tokens;
using Patchwork.Testing;
using RabbitMQ.Client;

namespace Patchwork.Server.Tests.PartnerBus;

/// <summary>
/// The partner relay end to end on the real broker: what each partner organisation's queue receives, read with
/// the partner's own broker credentials and a plain AMQP client, as a partner system would.
/// </summary>
public sealed class PartnerRelayTests(PostgresSchema schema, RabbitVirtualHost virtualHost)
    : IClassFixture<PostgresSchema>, IClassFixture<RabbitVirtualHost>
{
    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;
    private static readonly DateOnly Today = Calendar.Today(Now);
    private static readonly OrganisationId SocialCare = OrganisationId.New();
    private static readonly OrganisationId Police = OrganisationId.New();
    private static readonly OrganisationId Health = OrganisationId.New();
    private static readonly ActedBy Admin = new(SocialCare, null, null);

    [Fact]
    public async Task Each_partner_hears_only_of_its_own_clients_and_nothing_that_was_withdrawn_before_delivery()
    {
        await using var store = await StartStoreAsync();
        var directory = new PostgresPartnerClientDirectory(store.DataSource, new TokenOptions { Schema = schema.Name }, TimeProvider.System);
        await directory.RegisterAsync(new PartnerClientRegistration(PartnerSystemId.New(), Police, "police case system", [PartnerScopes.Read]), default);
        await directory.RegisterAsync(new PartnerClientRegistration(PartnerSystemId.New(), Health, "health case system", [PartnerScopes.Read]), default);
        using var management = PartnerBrokerTopology.ManagementClient(LocalServers.RabbitManagementUrl, LocalServers.RabbitAdminUsername, LocalServers.RabbitAdminPassword);
        var topology = new PartnerBrokerTopology(management, virtualHost.Name);
        var police = await topology.ProvisionAsync(Guid.CreateVersion7(), Police.Value, default);
        var health = await topology.ProvisionAsync(Guid.CreateVersion7(), Health.Value, default);

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
        await AppendAsync(store, onlyHealth, Involvement(onlyHealth, nurse, Health), ConsentTo(onlyHealth, ConsentId.New(), Sector.Police));
        await AppendAsync(store, shared, Involvement(shared, socialWorker, SocialCare), Involvement(shared, officer, Police), ConsentTo(shared, consent, Sector.Police));
        await AppendAsync(store, withdrawn, Involvement(withdrawn, withdrawnSocialWorker, SocialCare), Involvement(withdrawn, withdrawnOfficer, Police),
            ConsentTo(withdrawn, withdrawnConsent, Sector.Police), new ConsentWithdrawn(withdrawnConsent, withdrawn, Admin, Now));

        using var host = StartRelayHost(store, directory);
        await host.StartAsync();
        using var stop = new CancellationTokenSource();
        var runner = store.CreateSubscriptionRunner(PartnerRelay.SubscriptionName, host.Services.GetRequiredService<PartnerRelay>(),
            new SubscriptionOptions { PollInterval = TimeSpan.FromMilliseconds(200) });
        var running = runner.RunAsync(stop.Token);
        try
        {
            await using var policeQueue = await PartnerQueue.OpenAsync(virtualHost, police);
            await using var healthQueue = await PartnerQueue.OpenAsync(virtualHost, health);
            var policeHeard = await policeQueue.UntilAsync(heard => heard.Count(n => n.Client == shared.Value) == 2, "the police's two notices about the shared client");
            await Eventually.Within(TimeSpan.FromSeconds(20), async () => (await store.GetSubscriptionStatusAsync(PartnerRelay.SubscriptionName))!.PendingEvents == 0,
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

    private IHost StartRelayHost(EventStore.EventStore store, IPartnerClientDirectory directory)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddSingleton(store);
        builder.Services.AddSingleton(directory);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton(new PolicyOptions(MaskingKey.Generate()));
        builder.Services.AddSingleton(provider => new ClientTeamReader(store, StoreOptions(), TimeProvider.System, provider.GetRequiredService<PolicyOptions>()));
        builder.Services.AddSingleton<PartnerRelay>();
        builder.Services.AddPatchworkBus(new RabbitMqOptions
        {
            Host = virtualHost.Host, Port = virtualHost.Port, VirtualHost = virtualHost.Name, Username = virtualHost.Username, Password = virtualHost.Password,
        });
        return builder.Build();
    }

    private async Task<EventStore.EventStore> StartStoreAsync()
    {
        var options = StoreOptions();
        await EventStoreMigrations.ApplyAsync(options);
        await using (var owner = NpgsqlDataSource.Create(schema.OwnerConnectionString))
        {
            await CoreSchema.MigrateAsync(owner, schema.Name, default);
            await TokensSchema.MigrateAsync(owner, schema.Name, default);
        }
        var store = EventStore.EventStore.Create(options);
        var session = store.OpenSession();
        session.StartStream(Guid.CreateVersion7(), "partnership",
            new OrganisationRegistered(SocialCare, "Children's Social Care", Sector.SocialCare, null, null, Admin, Now),
            new OrganisationRegistered(Police, "Constabulary", Sector.Police, null, null, Admin, Now),
            new OrganisationRegistered(Health, "Health Trust", Sector.Health, null, null, Admin, Now),
            new AgreementMade(AgreementId.New(), "County agreement", [SocialCare, Police, Health], CategoryScope.GeneralOnly, Today.AddYears(-1), null, Admin, Now));
        (await session.SaveChangesAsync()).IsSaved.ShouldBeTrue();
        return store;
    }

    private EventStoreOptions StoreOptions()
    {
        var options = new EventStoreOptions { Schema = schema.Name, ConnectionString = schema.AppConnectionString, MigrationConnectionString = schema.OwnerConnectionString };
        options.Events.RegisterFrom(typeof(ClientSharing).Assembly);
        options.AddInlineProjection(new ClientTeamProjection(options)).AddInlineProjection(new PartnershipProjection(options));
        return options;
    }

    private static async Task AppendAsync(EventStore.EventStore store, ClientId client, params object[] events)
    {
        var session = store.OpenSession();
        session.Append(client.Value, ExpectedVersion.Any, events);
        (await session.SaveChangesAsync()).IsSaved.ShouldBeTrue();
    }

    private static InvolvementRecorded Involvement(ClientId client, InvolvementId id, OrganisationId organisation) =>
        new(id, client, PractitionerId.New(), "key worker", null, Category.General, Today.AddDays(-10), new ContactRoute("01632 960000", null), false,
            new ActedBy(organisation, null, null), Now);

    private static ConsentRecorded ConsentTo(ClientId client, ConsentId id, Sector sector) =>
        new(id, client, SharingScope.SectorNamed(sector), CategoryScope.GeneralOnly, ConsentGiver.Client, new ConsentEvidence(EvidenceKind.Written, "form"), null, Admin, Now);

    private sealed record Heard(string Type, Guid Client, Guid? Involvement, Guid NoticeId, string? MessageId);

    /// <summary>A partner's notice queue read with its own credentials and a plain AMQP client.</summary>
    private sealed class PartnerQueue : IAsyncDisposable
    {
        private readonly IConnection _connection;
        private readonly IChannel _channel;
        private readonly string _queue;
        private readonly List<Heard> _heard = [];

        private PartnerQueue(IConnection connection, IChannel channel, string queue) => (_connection, _channel, _queue) = (connection, channel, queue);

        public static async Task<PartnerQueue> OpenAsync(RabbitVirtualHost virtualHost, PartnerBrokerCredentials partner)
        {
            var connection = await new ConnectionFactory
            {
                HostName = virtualHost.Host, Port = virtualHost.Port, VirtualHost = virtualHost.Name, UserName = partner.Username, Password = partner.Password,
            }.CreateConnectionAsync();
            return new PartnerQueue(connection, await connection.CreateChannelAsync(), partner.Names.NoticeQueue);
        }

        public async Task<List<Heard>> UntilAsync(Func<List<Heard>, bool> done, string what) =>
            await Eventually.Within(TimeSpan.FromSeconds(30), async () => { _heard.AddRange(await DrainAsync()); return _heard.ToList(); }, done, what);

        public async Task<List<Heard>> DrainAsync()
        {
            var drained = new List<Heard>();
            while (await _channel.BasicGetAsync(_queue, autoAck: true) is { } delivery)
            {
                using var envelope = JsonDocument.Parse(delivery.Body);
                var type = envelope.RootElement.GetProperty("messageType")[0].GetString()!;
                type.ShouldStartWith("urn:message:Patchwork.Contracts.V1:");
                var message = envelope.RootElement.GetProperty("message");
                drained.Add(new Heard(type["urn:message:Patchwork.Contracts.V1:".Length..], message.GetProperty("clientId").GetGuid(),
                    message.TryGetProperty("involvementId", out var involvement) ? involvement.GetGuid() : null,
                    message.GetProperty("noticeId").GetGuid(), delivery.BasicProperties.MessageId));
            }
            return drained;
        }

        public async ValueTask DisposeAsync()
        {
            await _channel.DisposeAsync();
            await _connection.DisposeAsync();
        }
    }
}
