using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Patchwork.Core;
using Patchwork.Core.Clients;
using Patchwork.EventStore;
using Patchwork.Server.Api.Audit;
using Patchwork.Server.PartnerBus;
using Patchwork.Server.Tokens;
using Patchwork.Testing;
using RabbitMQ.Client;
using static Patchwork.Server.Tests.PartnerBus.PartnerRelayRig;

namespace Patchwork.Server.Tests.PartnerBus;

/// <summary>
/// What a partner's refused commands leave behind (issue 19, points 7, 8 and 12): the error queue keeps ids and the reason,
/// never a person's identity; a partner cannot give an erased client's id to a new identity, nor record an involvement
/// with a client no one registered; an oversized body is refused and the queue goes on.
/// </summary>
public sealed class PartnerCommandRefusalTests(PostgresSchema schema, RabbitVirtualHost virtualHost)
    : IClassFixture<PostgresSchema>, IClassFixture<RabbitVirtualHost>
{
    private const string GivenNames = "Zephyrine Canary";
    private const string FamilyName = "Quillfeather";
    private const string NhsNumber = "9434765919";
    private const string Postcode = "ZE1 9QX";
    private const string LocalReference = "CANARY-REF-77123";

    [Fact]
    public async Task Refused_registrations_reach_the_error_queue_with_ids_and_reason_but_none_of_the_persons_identity()
    {
        await using var run = await PartnerRun.StartAsync(schema, virtualHost, Police);
        // Refused three ways: an id with an erased client's history, an id already erased, and a likely duplicate.
        var withHistory = ClientId.New();
        await AppendAsync(run.Store, withHistory, Involvement(withHistory, InvolvementId.New(), Police));
        var erased = ClientId.New();
        await run.Audit.RecordAsync(new AuditEntry(Guid.CreateVersion7(), DateTimeOffset.UtcNow, new ActingPrincipal(PrincipalKind.Practitioner, Guid.NewGuid()),
            SocialCare, "client.erase", erased, AuditChannel.Api, "retention period over", AuditOutcome.Allowed, "PartnershipAdmin", null), default);
        var registered = ClientId.New();
        var duplicate = ClientId.New();

        await run.SendAsync("RegisterClient", Register(withHistory));
        await run.SendAsync("RegisterClient", Register(erased));
        await run.SendAsync("RegisterClient", Register(registered));
        var vault = run.Host.Services.GetRequiredService<ClientIdentityVault>();
        await Eventually.Within(TimeSpan.FromSeconds(60), async () => await vault.ReadAsync(registered, default) is not null, "the fresh id registered");
        await run.SendAsync("RegisterClient", Register(duplicate));

        var refused = await run.ErrorQueueAsync(3);
        foreach (var message in refused)
        {
            message.Body.ShouldNotContain("Zephyrine");
            message.Body.ShouldNotContain(FamilyName);
            message.Body.ShouldNotContain("2016-02-29");
            message.Body.ShouldNotContain(NhsNumber);
            message.Body.ShouldNotContain("ZE1");
            message.Body.ShouldNotContain(LocalReference);
            message.Headers.ShouldNotContain(header => header.Contains(FamilyName, StringComparison.Ordinal));
            message.Body.ShouldContain("urn:message:Patchwork.Contracts.V1:RegisterClient");
            message.Headers.ShouldContain(header => header.StartsWith(PartnerErrorQueue.ReasonHeader + "=", StringComparison.Ordinal));
        }
        refused.Select(m => m.ClientId.GetValueOrDefault()).Order().ToList().ShouldBe([.. new[] { withHistory.Value, erased.Value, duplicate.Value }.Order()]);
        refused.Single(m => m.ClientId == withHistory.Value).Reason.ShouldStartWith("clientId:");
        refused.Single(m => m.ClientId == erased.Value).Reason.ShouldStartWith("clientId:");
        refused.Single(m => m.ClientId == duplicate.Value).Reason.ShouldStartWith("identity:");

        (await vault.ReadAsync(withHistory, default)).ShouldBeNull("an erased client's history is never linked to a new identity");
        (await vault.ReadAsync(erased, default)).ShouldBeNull();
        var audited = await Eventually.Within(TimeSpan.FromSeconds(30), () => run.Audit.AllAsync(withHistory, default),
            entries => entries.Any(e => e.Outcome == AuditOutcome.Denied), "the refusal audited");
        audited.ShouldContain(e => e.Action == "partner-command.RegisterClient" && e.Rule == "Invalid:clientId" && e.Channel == AuditChannel.Bus);
    }

    [Fact]
    public async Task An_involvement_with_a_client_no_one_registered_is_refused_as_the_api_refuses_it()
    {
        await using var run = await PartnerRun.StartAsync(schema, virtualHost, HealthTrust);
        var unregistered = ClientId.New();
        var registered = ClientId.New();
        await RegisterClientAsync(run.Host, registered);

        await run.SendAsync("RecordInvolvement", RecordCommand(unregistered, InvolvementId.New(), "general"));
        await run.SendAsync("RecordInvolvement", RecordCommand(registered, InvolvementId.New(), "general"));

        var reader = run.Host.Services.GetRequiredService<ClientTeamReader>();
        await Eventually.Within(TimeSpan.FromSeconds(60), async () => (await reader.LoadAsync(registered, default)).Client is not null, "the registered client's involvement");
        var refused = (await run.ErrorQueueAsync(1)).ShouldHaveSingleItem();
        refused.ClientId.ShouldBe(unregistered.Value);
        refused.Reason.ShouldStartWith("clientId:");
        (await reader.LoadAsync(unregistered, default)).Client.ShouldBeNull("no history is started for an unregistered client");
        var audited = await Eventually.Within(TimeSpan.FromSeconds(30), () => run.Audit.AllAsync(unregistered, default), entries => entries.Count > 0, "the refusal audited");
        audited.ShouldHaveSingleItem().Rule.ShouldBe("Invalid:clientId");
    }

    [Fact]
    public async Task An_oversized_command_is_refused_to_the_error_queue_and_the_queue_goes_on()
    {
        await using var run = await PartnerRun.StartAsync(schema, virtualHost, SocialCare);
        var client = ClientId.New();
        await RegisterClientAsync(run.Host, client);
        var huge = new string('x', 100 * 1024);
        await run.SendAsync("RecordInvolvement", new
        {
            commandId = Guid.CreateVersion7(), clientId = client.Value, involvementId = Guid.CreateVersion7(), role = huge, category = "general",
            start = Today.AddDays(-1).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture),
        });
        var next = InvolvementId.New();
        await run.SendAsync("RecordInvolvement", RecordCommand(client, next, "general"));

        var refused = (await run.ErrorQueueAsync(1)).ShouldHaveSingleItem();
        refused.Reason.ShouldStartWith("body:");
        refused.Body.Length.ShouldBeLessThan(2048, "the copy keeps ids, not the body");
        var reader = run.Host.Services.GetRequiredService<ClientTeamReader>();
        var (state, _) = await Eventually.Within(TimeSpan.FromSeconds(60), () => reader.LoadAsync(client, default),
            loaded => loaded.Client is not null, "the next command handled");
        state.ShouldNotBeNull().Involvements.Keys.ShouldBe([next]);
    }

    private static object Register(ClientId client) => new
    {
        commandId = Guid.CreateVersion7(), clientId = client.Value, givenNames = GivenNames, familyName = FamilyName, dateOfBirth = "2016-02-29",
        nhsNumber = NhsNumber, postcode = Postcode, localReference = LocalReference,
    };

    private sealed record ErrorMessage(string Body, IReadOnlyList<string> Headers, string Reason, Guid? ClientId);

    /// <summary>One test's store, relay host and one organisation's partner inbound endpoint, sending as the partner does.</summary>
    private sealed class PartnerRun : IAsyncDisposable
    {
        private readonly PartnerRelayRig _rig;
        private readonly PartnerInboundEndpoints _endpoints;
        private readonly PartnerBrokerCredentials _partner;

        private PartnerRun(PartnerRelayRig rig, EventStore.EventStore store, IHost host, PartnerInboundEndpoints endpoints, PartnerBrokerCredentials partner)
        {
            (_rig, Store, Host, _endpoints, _partner) = (rig, store, host, endpoints, partner);
            Audit = rig.Audit(store);
        }

        public EventStore.EventStore Store { get; }

        public IHost Host { get; }

        public AuditTrail Audit { get; }

        public static async Task<PartnerRun> StartAsync(PostgresSchema schema, RabbitVirtualHost virtualHost, OrganisationId organisation)
        {
            var rig = PartnerRelayRig.OnSharedBroker(schema, virtualHost);
            var store = await rig.StartStoreAsync();
            var directory = rig.Directory(store);
            // Each test has an organisation's queue of its own: the class shares one virtual host.
            var partner = await rig.RegisterPartnerAsync(directory, organisation, PartnerScopes.InvolvementsWrite);
            var host = rig.RelayHost(store, directory);
            await host.StartAsync();
            var endpoints = rig.InboundEndpoints(host, store, directory);
            await endpoints.ListenAsync(organisation, default);
            var run = new PartnerRun(rig, store, host, endpoints, partner);
            await run.PurgeErrorQueueAsync();
            return run;
        }

        public async Task SendAsync(string type, object message)
        {
            await using var connection = await _rig.ConnectAsAsync(_partner);
            await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(true, true));
            await SendCommandAsync(channel, _partner, Guid.CreateVersion7(), type, message);
        }

        private string ErrorQueue => _partner.Names.InboundQueue + "_error";

        private async Task PurgeErrorQueueAsync()
        {
            await using var application = await _rig.ConnectAsApplicationAsync();
            await using var channel = await application.CreateChannelAsync();
            try { await channel.QueuePurgeAsync(ErrorQueue); }
            catch (RabbitMQ.Client.Exceptions.OperationInterruptedException) { }
        }

        /// <summary>
        /// Waits for <paramref name="count"/> messages in the error queue and takes them. The error queue is a quorum queue,
        /// and RabbitMQ 3.10 answers a get on one whose leader is still being elected with INTERNAL_ERROR, closing the whole
        /// connection (CI saw it once). So each attempt has a connection of its own, and a message is acknowledged only
        /// after it is read: one taken by a get that then failed goes back to the queue, and its second reading (the same
        /// message id) is counted once.
        /// </summary>
        public async Task<List<ErrorMessage>> ErrorQueueAsync(int count)
        {
            var taken = new Dictionary<string, ErrorMessage>(StringComparer.Ordinal);
            await Eventually.Within(TimeSpan.FromSeconds(90), async () =>
            {
                try
                {
                    await using var application = await _rig.ConnectAsApplicationAsync();
                    await using var channel = await application.CreateChannelAsync();
                    while (await channel.BasicGetAsync(ErrorQueue, autoAck: false) is { } got)
                    {
                        taken.TryAdd(got.BasicProperties.MessageId ?? throw new InvalidOperationException("A refused command was moved without its message id."), Read(got));
                        await channel.BasicAckAsync(got.DeliveryTag, multiple: false);
                    }
                }
                catch (RabbitMQ.Client.Exceptions.OperationInterruptedException)
                {
                    // Not declared yet (nothing refused so far), or the queue's leader not elected yet: try again.
                }
                return taken.Count >= count;
            }, $"{count} message(s) in the error queue");
            return [.. taken.Values];
        }

        private static ErrorMessage Read(BasicGetResult got)
        {
            var body = Encoding.UTF8.GetString(got.Body.Span);
            var headers = (got.BasicProperties.Headers ?? new Dictionary<string, object?>())
                .Select(h => $"{h.Key}={(h.Value is byte[] bytes ? Encoding.UTF8.GetString(bytes) : h.Value)}").ToList();
            var reason = got.BasicProperties.Headers?[PartnerErrorQueue.ReasonHeader] is byte[] raw ? Encoding.UTF8.GetString(raw) : "";
            using var json = System.Text.Json.JsonDocument.Parse(body);
            Guid? client = json.RootElement.TryGetProperty("message", out var message) && message.TryGetProperty("clientId", out var id) ? id.GetGuid() : null;
            return new ErrorMessage(body, headers, reason, client);
        }

        public async ValueTask DisposeAsync()
        {
            await _endpoints.StopAsync(default);
            await Host.StopAsync();
            Host.Dispose();
            await Store.DisposeAsync();
        }
    }
}
