using System.Text;
using System.Text.Json;
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
using Patchwork.Server.Api.Audit;
using Patchwork.Server.Messaging;
using Patchwork.Server.PartnerBus;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Patchwork.Server.SignIn;
using Patchwork.Server.Tokens;
using Patchwork.Testing;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace Patchwork.Server.Tests.PartnerBus;

/// <summary>Where a test's broker is: the shared node's virtual host of the class, or a private node a test may kill.</summary>
public sealed record BrokerAddress(string Host, int Port, string VirtualHost, string Username, string Password, Uri ManagementUrl, string AdminUsername, string AdminPassword);

/// <summary>A county of three agencies in a schema of its own, the relay's host, and partners' queues read as a partner would.</summary>
public sealed class PartnerRelayRig(PostgresSchema schema, BrokerAddress broker)
{
    public static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;
    public static readonly DateOnly Today = Calendar.Today(Now);
    public static readonly OrganisationId SocialCare = OrganisationId.New();
    public static readonly OrganisationId Police = OrganisationId.New();
    public static readonly OrganisationId HealthTrust = OrganisationId.New();
    public static readonly ActedBy Admin = new(SocialCare, null, null);

    /// <summary>A rig on the shared broker node, in the test class's virtual host.</summary>
    public static PartnerRelayRig OnSharedBroker(PostgresSchema schema, RabbitVirtualHost virtualHost) =>
        new(schema, new BrokerAddress(virtualHost.Host, virtualHost.Port, virtualHost.Name, virtualHost.Username, virtualHost.Password,
            LocalServers.RabbitManagementUrl, LocalServers.RabbitAdminUsername, LocalServers.RabbitAdminPassword));

    /// <summary>A rig on a broker node of the test class's own, which the test may kill and restart.</summary>
    public static PartnerRelayRig OnPrivateBroker(PostgresSchema schema, PrivateBroker broker) =>
        new(schema, new BrokerAddress(broker.Host, broker.Port, broker.VirtualHost, broker.Username, broker.Password,
            broker.ManagementUrl, broker.AdminUsername, broker.AdminPassword));

    /// <summary>The broker the rig provisions partners on and reads their queues from.</summary>
    public BrokerAddress Broker => broker;

    /// <summary>The audit trail in the rig's schema.</summary>
    public AuditTrail Audit(EventStore.EventStore store) => new(store.DataSource, new EventStoreOptions { Schema = schema.Name });

    /// <summary>A node's partner inbound endpoints on the relay host's bus, as the server wires them.</summary>
    internal PartnerInboundEndpoints InboundEndpoints(IHost host, EventStore.EventStore store, IPartnerClientDirectory directory) =>
        new(host.Services.GetRequiredService<MassTransit.IReceiveEndpointConnector>(), directory, store, host.Services.GetRequiredService<ClientTeamReader>(),
            new PartnerCommandAudit(Audit(store), TimeProvider.System), host.Services, TimeProvider.System,
            Microsoft.Extensions.Logging.Abstractions.NullLogger<PartnerInboundEndpoints>.Instance);

    /// <summary>The partner systems' directory in the rig's schema.</summary>
    internal IPartnerClientDirectory Directory(EventStore.EventStore store)
    {
        // OpenIddict's stores in the rig's schema, as the server wires them, without the rest of the server.
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(new SignInSchema(schema.Name));
        services.AddDbContext<SignInDbContext>(database => database
            .UseNpgsql(schema.AppConnectionString)
            .ReplaceService<IModelCacheKeyFactory, SchemaModelCacheKeyFactory>());
        services.AddPartnerClientStore();
        return services.BuildServiceProvider().GetRequiredService<IPartnerClientDirectory>();
    }

    /// <summary>Registers a partner system for the organisation (its OAuth client) and provisions its broker user, exchanges and queues.</summary>
    internal async Task<PartnerBrokerCredentials> RegisterPartnerAsync(IPartnerClientDirectory directory, OrganisationId organisation, string scope,
        PartnerSystemId? system = null)
    {
        ArgumentNullException.ThrowIfNull(directory);
        var id = system ?? PartnerSystemId.New();
        await directory.RegisterAsync(new PartnerClientRegistration(id, organisation, "case system", [scope]), default);
        return await ProvisionAsync(organisation, id.Value);
    }

    public async Task<PartnerBrokerCredentials> ProvisionAsync(OrganisationId organisation, Guid? partnerSystem = null)
    {
        using var management = PartnerBrokerTopology.ManagementClient(broker.ManagementUrl, broker.AdminUsername, broker.AdminPassword);
        return await new PartnerBrokerTopology(management, broker.VirtualHost).ProvisionAsync(partnerSystem ?? Guid.CreateVersion7(), organisation.Value, default);
    }

    public Task<PartnerQueue> OpenQueueAsync(PartnerBrokerCredentials partner) => PartnerQueue.OpenAsync(broker, partner);

    /// <summary>An AMQP connection as the partner's own broker user, as a partner system in any language would open.</summary>
    public Task<IConnection> ConnectAsAsync(PartnerBrokerCredentials partner) => new ConnectionFactory
    {
        HostName = broker.Host, Port = broker.Port, VirtualHost = broker.VirtualHost, UserName = partner.Username, Password = partner.Password,
    }.CreateConnectionAsync();

    /// <summary>A connection as the application, to look at queues partners may not read.</summary>
    public Task<IConnection> ConnectAsApplicationAsync() => new ConnectionFactory
    {
        HostName = broker.Host, Port = broker.Port, VirtualHost = broker.VirtualHost, UserName = broker.Username, Password = broker.Password,
    }.CreateConnectionAsync();

    public IHost RelayHost(EventStore.EventStore store, IPartnerClientDirectory directory)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddSingleton(store);
        builder.Services.AddSingleton(directory);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton(new PolicyOptions(MaskingKey.Generate()));
        builder.Services.AddSingleton(provider => new ClientTeamReader(store, StoreOptions(), TimeProvider.System, provider.GetRequiredService<PolicyOptions>()));
        builder.Services.AddSingleton<PartnerRelay>();
        builder.Services.AddSingleton<Patchwork.Server.Domain.PractitionerDirectory>();
        // The identity vault, as on a server node: partner commands check that a client is registered.
        var personalData = new PersonalDataOptions
        {
            Schema = schema.Name, BlindIndexKey = LocalServers.Get("PersonalData__BlindIndexKey"),
            KeyRingCertificatePath = LocalServers.Get("PersonalData__KeyRingCertificatePath"),
            KeyRingCertificatePassword = LocalServers.Get("PersonalData__KeyRingCertificatePassword"),
        };
        builder.Services.AddSingleton(store.DataSource);
        builder.Services.AddPatchworkPersonalData(personalData, PersonalDataServiceCollectionExtensions.LoadKeyRingCertificate(personalData));
        builder.Services.AddPatchworkBus(new RabbitMqOptions
        {
            Host = broker.Host, Port = broker.Port, VirtualHost = broker.VirtualHost, Username = broker.Username, Password = broker.Password,
        });
        return builder.Build();
    }

    public async Task<EventStore.EventStore> StartStoreAsync()
    {
        var options = StoreOptions();
        await EventStoreMigrations.ApplyAsync(options);
        await using (var owner = NpgsqlDataSource.Create(schema.OwnerConnectionString))
        {
            await CoreSchema.MigrateAsync(owner, schema.Name, default);
            await TokensSchemaMigration.MigrateAsync(owner, schema.Name, default);
            await SchemaScripts.ApplyAsync(owner, schema.Name, "api", typeof(Patchwork.Server.Api.Audit.AuditTrail).Assembly, ["Patchwork.Server.Api.Audit.api.sql"], default);
        }
        var store = EventStore.EventStore.Create(options);
        await using (var write = await store.OpenWriteTransactionAsync(EventMetadata.None))
        {
            write.Session.Events.StartStream(Guid.CreateVersion7(),
                new OrganisationRegistered(SocialCare, "Children's Social Care", Sector.SocialCare, null, null, Admin, Now),
                new OrganisationRegistered(Police, "Constabulary", Sector.Police, null, null, Admin, Now),
                new OrganisationRegistered(HealthTrust, "Health Trust", Sector.Health, null, null, Admin, Now),
                new AgreementMade(AgreementId.New(), "County agreement", [SocialCare, Police, HealthTrust], CategoryScope.GeneralOnly, Today.AddYears(-1), null, Admin, Now));
            (await write.CommitAsync(CancellationToken.None)).ShouldBeTrue();
        }
        return store;
    }

    /// <summary>
    /// Puts a subscription's checkpoint back before the first event, as if every page it had sent were sent but none
    /// checkpointed: what a crash between the broker's confirm and the checkpoint's commit leaves, made certain.
    /// </summary>
    public async Task RewindCheckpointAsync(string subscription)
    {
        await using var connection = new NpgsqlConnection(schema.OwnerConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"UPDATE \"{schema.Name}\".mt_event_progression SET last_seq_id = 0 WHERE name = @name || ':All'", connection);
        command.Parameters.AddWithValue("name", subscription);
        // Marten writes the row with the first page it completes; without one, the relay starts from the beginning anyway.
        (await command.ExecuteNonQueryAsync()).ShouldBeLessThanOrEqualTo(1);
    }

    private EventStoreOptions StoreOptions()
    {
        var options = new EventStoreOptions { Schema = schema.Name, ConnectionString = schema.AppConnectionString, MigrationConnectionString = schema.OwnerConnectionString };
        options.Events.RegisterFrom(typeof(ClientSharing).Assembly);
        options.AddClientState().AddPartnershipState();
        return options;
    }

    /// <summary>Registers a client's identity in the vault, as the API or a RegisterClient command does.</summary>
    public static async Task RegisterClientAsync(IHost host, ClientId client)
    {
        var identity = ClientIdentity.Create("Alex", "Rig" + client.Value.ToString("N")[..12], new DateOnly(2015, 6, 1), null, null, null, Today).Value;
        var registered = await host.Services.GetRequiredService<ClientIdentityVault>().RegisterAsync(client, identity, candidatesSeen: true, default);
        registered.Value.ShouldBeOfType<IdentityRegistration.Registered>();
    }

    public static async Task AppendAsync(EventStore.EventStore store, ClientId client, params object[] events)
    {
        await using var write = await store.OpenWriteTransactionAsync(EventMetadata.None);
        write.Session.Events.Append(client.Value, events);
        (await write.CommitAsync(CancellationToken.None)).ShouldBeTrue();
    }

    /// <summary>
    /// Records <paramref name="organisation"/>'s own involvements with new clients, one after another, each id added to
    /// <paramref name="recorded"/>, until <paramref name="afterKill"/> more once <paramref name="killed"/> completes: a crash
    /// test's node dies with the log still growing beneath its relay.
    /// </summary>
    public static Task AppendUntilAfterAsync(EventStore.EventStore store, OrganisationId organisation, List<Guid> recorded, Task killed, int afterKill) =>
        Task.Run(async () =>
        {
            var appended = 0;
            while (appended < afterKill)
            {
                var client = ClientId.New();
                var involvement = InvolvementId.New();
                await AppendAsync(store, client, Involvement(client, involvement, organisation));
                lock (recorded) recorded.Add(involvement.Value);
                if (killed.IsCompleted) appended++;
            }
        });

    public static InvolvementRecorded Involvement(ClientId client, InvolvementId id, OrganisationId organisation) =>
        new(id, client, PractitionerId.New(), "key worker", null, Category.General, Today.AddDays(-10), new ContactRoute("01632 960000", null), false,
            new ActedBy(organisation, null, null), Now);

    public static ConsentRecorded ConsentTo(ClientId client, ConsentId id, Sector sector) =>
        new(id, client, SharingScope.SectorNamed(sector), CategoryScope.GeneralOnly, ConsentGiver.Client, new ConsentEvidence(EvidenceKind.Written, "form"), null, Admin, Now);

    /// <summary>A RecordInvolvement command's body as the contracts README documents it.</summary>
    public static object RecordCommand(ClientId client, InvolvementId involvement, string category) => new
    {
        commandId = Guid.CreateVersion7(), clientId = client.Value, involvementId = involvement.Value, practitionerId = (Guid?)null,
        role = "officer in the case", service = "Public protection", category, start = Today.AddDays(-1).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture),
        contactPhone = "01632 960321", contactEmail = (string?)null,
    };

    /// <summary>Sends a command as a partner system does: raw AMQP, the documented envelope, the broker-vouched user id.</summary>
    public static async Task SendCommandAsync(IChannel channel, PartnerBrokerCredentials partner, Guid messageId, string type, object message, string? userId = "", CancellationToken cancellationToken = default)
    {
        var envelope = new
        {
            messageId,
            messageType = new[] { $"urn:message:Patchwork.Contracts.V1:{type}" },
            sentTime = DateTimeOffset.UtcNow,
            message,
        };
        var properties = new BasicProperties
        {
            MessageId = messageId.ToString(),
            ContentType = "application/vnd.masstransit+json",
            DeliveryMode = DeliveryModes.Persistent,
            UserId = userId == "" ? partner.Username : userId,
        };
        await channel.BasicPublishAsync(partner.Names.InboundExchange, "", true, properties, Encoding.UTF8.GetBytes(JsonSerializer.Serialize(envelope, JsonSerializerOptions.Web)), cancellationToken);
    }

    public sealed record Heard(string Type, Guid Client, Guid? Involvement, Guid NoticeId, string? MessageId);

    /// <summary>
    /// A partner's notice queue read with its own credentials and a plain AMQP client. Notices are quorum queues, and
    /// RabbitMQ 3.10 answers a get on one whose leader is still being elected with INTERNAL_ERROR, closing the whole
    /// connection: the next drain then opens a new one. A notice is acknowledged only after it is read, so one taken by a
    /// get that then failed comes back, marked redelivered, and is counted once.
    /// </summary>
    public sealed class PartnerQueue : IAsyncDisposable
    {
        private readonly ConnectionFactory _factory;
        private readonly string _queue;
        private readonly List<Heard> _heard = [];
        private readonly HashSet<string> _read = new(StringComparer.Ordinal);
        private IConnection _connection;
        private IChannel _channel;

        private PartnerQueue(ConnectionFactory factory, IConnection connection, IChannel channel, string queue) =>
            (_factory, _connection, _channel, _queue) = (factory, connection, channel, queue);

        public static async Task<PartnerQueue> OpenAsync(BrokerAddress broker, PartnerBrokerCredentials partner)
        {
            var factory = new ConnectionFactory
            {
                HostName = broker.Host, Port = broker.Port, VirtualHost = broker.VirtualHost, UserName = partner.Username, Password = partner.Password,
            };
            var connection = await factory.CreateConnectionAsync();
            return new PartnerQueue(factory, connection, await connection.CreateChannelAsync(), partner.Names.NoticeQueue);
        }

        /// <summary>How many notices <see cref="UntilAsync"/> has gathered so far (for a failure's message).</summary>
        public int Gathered => _heard.Count;

        public async Task<List<Heard>> UntilAsync(Func<List<Heard>, bool> done, string what, TimeSpan? deadline = null) =>
            await Eventually.Within(deadline ?? TimeSpan.FromSeconds(90), async () => { _heard.AddRange(await DrainAsync()); return _heard.ToList(); }, done, what);

        /// <summary>
        /// Waits for <paramref name="done"/> as long as notices keep arriving: gives up when none has come for
        /// <paramref name="stall"/> (a relay that stopped), or after <paramref name="limit"/> in all. A loaded machine
        /// slows a catch-up of thousands of notices down without stopping it; a fixed deadline would fail it.
        /// </summary>
        public async Task<List<Heard>> WhileArrivingAsync(Func<List<Heard>, bool> done, string what, TimeSpan stall, TimeSpan limit)
        {
            var started = DateTime.UtcNow;
            var progressed = started;
            while (true)
            {
                var drained = await DrainAsync();
                if (drained.Count > 0) progressed = DateTime.UtcNow;
                _heard.AddRange(drained);
                if (done(_heard)) return [.. _heard];
                var now = DateTime.UtcNow;
                if (now - progressed > stall || now - started > limit)
                    throw new TimeoutException($"Gave up waiting for {what}: {_heard.Count} heard, the last {(now - progressed).TotalSeconds:0} s ago, after {(now - started).TotalSeconds:0} s");
                await Task.Delay(50);
            }
        }

        public async Task<List<Heard>> DrainAsync()
        {
            var drained = new List<Heard>();
            try
            {
                if (!_channel.IsOpen) await ReopenAsync();
                while (await _channel.BasicGetAsync(_queue, autoAck: false) is { } delivery)
                {
                    using var envelope = JsonDocument.Parse(delivery.Body);
                    var type = envelope.RootElement.GetProperty("messageType")[0].GetString()!;
                    type.ShouldStartWith("urn:message:Patchwork.Contracts.V1:");
                    var message = envelope.RootElement.GetProperty("message");
                    var id = delivery.BasicProperties.MessageId;
                    // A relay's own repeat is a new publish and is counted; only the broker's return of one already read is not.
                    var readBefore = id is not null && !_read.Add(id) && delivery.Redelivered;
                    if (!readBefore)
                        drained.Add(new Heard(type["urn:message:Patchwork.Contracts.V1:".Length..], message.GetProperty("clientId").GetGuid(),
                            message.TryGetProperty("involvementId", out var involvement) ? involvement.GetGuid() : null,
                            message.GetProperty("noticeId").GetGuid(), id));
                    await _channel.BasicAckAsync(delivery.DeliveryTag, multiple: false);
                }
            }
            catch (OperationInterruptedException interrupted) when (interrupted is AlreadyClosedException || interrupted.ShutdownReason?.ReplyCode == InternalError)
            {
                // What was read before the connection closed is kept; the rest is read on the next drain.
            }
            return drained;
        }

        private const ushort InternalError = 541;

        private async Task ReopenAsync()
        {
            await _connection.DisposeAsync();
            _connection = await _factory.CreateConnectionAsync();
            _channel = await _connection.CreateChannelAsync();
        }

        public async ValueTask DisposeAsync()
        {
            await _channel.DisposeAsync();
            await _connection.DisposeAsync();
        }
    }
}
