using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Patchwork.Core;
using Patchwork.Core.Clients;
using Patchwork.Server.Api.Audit;
using Patchwork.Server.PartnerBus;
using Patchwork.Server.Tokens;
using Patchwork.Testing;
using RabbitMQ.Client;
using static Patchwork.Server.Tests.PartnerBus.PartnerRelayRig;

namespace Patchwork.Server.Tests.PartnerBus;

/// <summary>Partner commands as a partner system sends them: raw AMQP, the documented envelope, its own broker user.</summary>
public sealed class PartnerCommandsTests(PostgresSchema schema, RabbitVirtualHost virtualHost)
    : IClassFixture<PostgresSchema>, IClassFixture<RabbitVirtualHost>
{
    [Fact]
    public async Task Commands_act_for_the_queues_organisation_once_per_message_id_and_refused_ones_go_to_the_error_queue()
    {
        var rig = PartnerRelayRig.OnSharedBroker(schema, virtualHost);
        await using var store = await rig.StartStoreAsync();
        var directory = rig.Directory(store);
        var policeSystem = PartnerSystemId.New();
        var police = await rig.RegisterPartnerAsync(directory, Police, PartnerScopes.InvolvementsWrite, policeSystem);
        using var host = rig.RelayHost(store, directory);
        await host.StartAsync();
        var reader = host.Services.GetRequiredService<ClientTeamReader>();
        var endpoints = rig.InboundEndpoints(host, store, directory);
        await endpoints.ListenAsync(Police, default);
        try
        {
            await using var connection = await rig.ConnectAsAsync(police);
            await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(true, true));
            var client = ClientId.New();
            await RegisterClientAsync(host, client);
            var first = InvolvementId.New();
            var sameMessageOtherInvolvement = InvolvementId.New();
            var messageId = Guid.CreateVersion7();

            await SendCommandAsync(channel, police, messageId, "RecordInvolvement", RecordCommand(client, first, "general"));
            await SendCommandAsync(channel, police, messageId, "RecordInvolvement", RecordCommand(client, sameMessageOtherInvolvement, "general"));
            await SendCommandAsync(channel, police, Guid.CreateVersion7(), "RecordInvolvement", RecordCommand(client, InvolvementId.New(), "astrology"));
            var noSender = Guid.CreateVersion7();
            await SendCommandAsync(channel, police, noSender, "RecordInvolvement", RecordCommand(client, InvolvementId.New(), "general"), userId: null);
            var unreadable = Guid.CreateVersion7();
            await channel.BasicPublishAsync(police.Names.InboundExchange, "", true, new BasicProperties
            {
                MessageId = unreadable.ToString(), ContentType = "application/vnd.masstransit+json", DeliveryMode = DeliveryModes.Persistent, UserId = police.Username,
            }, "{\"messageType\": [\"urn:message:Patchwork.Contracts.V1:RecordInvolvement\"], \"message\": {\"clientId\": 7"u8.ToArray());

            await using var application = await rig.ConnectAsApplicationAsync();
            async Task<uint> MessagesIn(string queue)
            {
                // A passive declare of a queue not made yet closes its channel, so each look gets a channel of its own.
                await using var look = await application.CreateChannelAsync();
                try { return (await look.QueueDeclarePassiveAsync(queue)).MessageCount; }
                catch (RabbitMQ.Client.Exceptions.OperationInterruptedException) { return 0; }
            }
            var errors = await Eventually.Within(TimeSpan.FromSeconds(90), () => MessagesIn(police.Names.InboundQueue + "_error"),
                count => count == 3, "the two refused commands and the unreadable one in the error queue");
            errors.ShouldBe(3u);
            await Eventually.Within(TimeSpan.FromSeconds(90), async () => await MessagesIn(police.Names.InboundQueue) == 0, "every command handled");
            await Eventually.Within(TimeSpan.FromSeconds(90), async () => (await reader.LoadAsync(client, default)).Client is not null, "the first command's effect");
            var (state, _) = await reader.LoadAsync(client, default);
            // Both deliveries share one message id (with different bodies, to make the dedupe visible): whichever ran first counts.
            var recorded = state.ShouldNotBeNull().Involvements.Values.ShouldHaveSingleItem("one message id, one effect; refused commands, none");
            recorded.Id.ShouldBeOneOf(first, sameMessageOtherInvolvement);
            recorded.Organisation.ShouldBe(Police, "the organisation is the queue's");

            // A redelivered refusal would be audited again. A later command on the same queue, handled after all of them,
            // gives any redelivery its time to happen before the entries are counted.
            var later = ClientId.New();
            await RegisterClientAsync(host, later);
            await SendCommandAsync(channel, police, Guid.CreateVersion7(), "RecordInvolvement", RecordCommand(later, InvolvementId.New(), "general"));
            await Eventually.Within(TimeSpan.FromSeconds(90), async () => (await reader.LoadAsync(later, default)).Client is not null, "the later command's effect");
            await Eventually.Within(TimeSpan.FromSeconds(90), async () => await MessagesIn(police.Names.InboundQueue) == 0, "every command handled");
            (await MessagesIn(police.Names.InboundQueue + "_error")).ShouldBe(3u, "each refused command in the error queue once");

            // Each refusal is audited once, against the queue's organisation, naming the sender the broker vouched for: every
            // field as the database holds it, not as the test would build it.
            var entries = await DeniedEntriesAsync();
            entries.Count.ShouldBe(3, string.Join("; ", entries));
            entries.ShouldAllBe(e => e.Organisation == Police.Value && e.Channel == "bus" && e.Action.StartsWith("partner-command", StringComparison.Ordinal) && e.Practitioner == null);
            entries.Select(e => e.Rule).Order().ShouldBe(["Invalid:category", "Invalid:user_id", "Unreadable:SerializationException"]);
            var unknownSender = entries.Single(e => e.Rule == "Invalid:user_id");
            unknownSender.PartnerSystem.ShouldBe(Guid.Empty, "no user_id: the sender is unknown");
            unknownSender.Correlation.ShouldBe(noSender);
            unknownSender.Client.ShouldBe(client.Value);
            var refused = entries.Single(e => e.Rule == "Invalid:category");
            refused.PartnerSystem.ShouldBe(policeSystem.Value);
            refused.Client.ShouldBe(client.Value);
            var unreadableEntry = entries.Single(e => e.Rule!.StartsWith("Unreadable", StringComparison.Ordinal));
            unreadableEntry.Correlation.ShouldBe(unreadable);
            unreadableEntry.Client.ShouldBeNull("an unreadable command names no client");
        }
        finally
        {
            await host.StopAsync();
        }
    }

    [Fact]
    public async Task A_command_naming_another_organisations_practitioner_is_refused_audited_and_changes_nothing()
    {
        var rig = PartnerRelayRig.OnSharedBroker(schema, virtualHost);
        await using var store = await rig.StartStoreAsync();
        var officer = PractitionerId.New();
        var socialWorker = PractitionerId.New();
        await using (var register = await store.OpenWriteTransactionAsync(EventStore.EventMetadata.None))
        {
            register.Session.Events.StartStream(Guid.CreateVersion7(),
                new Patchwork.Core.Practitioners.PractitionerRegistered(officer, Police, "An Officer", "Constable", new ContactRoute("01632 960111", null), Roles.Practitioner, null, Admin, Now),
                new Patchwork.Core.Practitioners.PractitionerRegistered(socialWorker, SocialCare, "A Social Worker", "Social worker", new ContactRoute("01632 960112", null), Roles.Practitioner, null, Admin, Now));
            (await register.CommitAsync(CancellationToken.None)).ShouldBeTrue();
        }
        var directory = rig.Directory(store);
        var police = await rig.RegisterPartnerAsync(directory, Police, PartnerScopes.InvolvementsWrite);
        using var host = rig.RelayHost(store, directory);
        await host.StartAsync();
        var reader = host.Services.GetRequiredService<ClientTeamReader>();
        var audit = rig.Audit(store);
        var endpoints = rig.InboundEndpoints(host, store, directory);
        await endpoints.ListenAsync(Police, default);
        try
        {
            await using var connection = await rig.ConnectAsAsync(police);
            await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(true, true));
            var client = ClientId.New();
            await RegisterClientAsync(host, client);
            var own = InvolvementId.New();
            var takenOver = InvolvementId.New();

            // DESIGN §3 rule 14: the police's system names its own officer (recorded), then Social Care's social worker (refused).
            await SendCommandAsync(channel, police, Guid.CreateVersion7(), "RecordInvolvement", OnBehalfOf(RecordCommand(client, own, "general"), officer));
            await SendCommandAsync(channel, police, Guid.CreateVersion7(), "RecordInvolvement", OnBehalfOf(RecordCommand(client, takenOver, "general"), socialWorker));

            var entries = await Eventually.Within(TimeSpan.FromSeconds(90), async () => (await audit.AllAsync(client, default)).Where(e => e.Outcome == AuditOutcome.Denied).ToList(),
                found => found.Count >= 1, "the refusal's audit entry");
            entries.ShouldHaveSingleItem().Rule.ShouldBe("Invalid:practitionerId");
            var (state, _) = await Eventually.Within(TimeSpan.FromSeconds(90), () => reader.LoadAsync(client, default),
                loaded => loaded.Client is not null, "the officer's involvement");
            var recorded = state.ShouldNotBeNull().Involvements.Values.ShouldHaveSingleItem("the refused command appended nothing");
            recorded.Id.ShouldBe(own);
            recorded.Practitioner.ShouldBe(officer);
            // The command carried out has its entry, committed with its event, as an API write has.
            var allowed = (await audit.AllAsync(client, default)).Where(e => e.Outcome == AuditOutcome.Allowed).ToList();
            var entry = allowed.ShouldHaveSingleItem();
            entry.Action.ShouldBe("involvement.record");
            entry.Channel.ShouldBe(AuditChannel.Bus);
            entry.Rule.ShouldBe("RegisteredClient");
            entry.Actor.Kind.ShouldBe(EventStore.PrincipalKind.PartnerSystem);
            entry.Organisation.ShouldBe(Police);
        }
        finally
        {
            await host.StopAsync();
        }
    }

    [Fact]
    public async Task Ending_an_involvement_the_organisation_cannot_see_is_refused_as_if_it_did_not_exist_audited_and_changes_nothing()
    {
        var rig = PartnerRelayRig.OnSharedBroker(schema, virtualHost);
        await using var store = await rig.StartStoreAsync();
        var directory = rig.Directory(store);
        var police = await rig.RegisterPartnerAsync(directory, Police, PartnerScopes.InvolvementsWrite);
        using var host = rig.RelayHost(store, directory);
        await host.StartAsync();
        var reader = host.Services.GetRequiredService<ClientTeamReader>();
        var audit = rig.Audit(store);
        var endpoints = rig.InboundEndpoints(host, store, directory);
        await endpoints.ListenAsync(Police, default);
        try
        {
            // Social Care and the police both work with the client, with no consent: neither sees the other's involvement.
            var client = ClientId.New();
            var socialWorker = InvolvementId.New();
            await AppendAsync(store, client, Involvement(client, socialWorker, SocialCare), Involvement(client, InvolvementId.New(), Police));
            await using var connection = await rig.ConnectAsAsync(police);
            await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(true, true));

            // The police's system tries to end Social Care's involvement: through the one pipeline, the policy hides it first,
            // so the refusal says no more than a made-up id would (before, the decision's "only its organisation" told it existed).
            await SendCommandAsync(channel, police, Guid.CreateVersion7(), "EndInvolvement", new
            {
                commandId = Guid.CreateVersion7(), clientId = client.Value, involvementId = socialWorker.Value,
                end = Today.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture),
            });

            var entries = await Eventually.Within(TimeSpan.FromSeconds(90), async () => (await audit.AllAsync(client, default)).Where(e => e.Outcome == AuditOutcome.Denied).ToList(),
                found => found.Count >= 1, "the refusal's audit entry");
            entries.ShouldHaveSingleItem().Rule.ShouldBe("Invalid:involvementId");
            var (state, _) = await reader.LoadAsync(client, default);
            state.ShouldNotBeNull().Involvements[socialWorker].IsActive.ShouldBeTrue("the refused command ended nothing");
        }
        finally
        {
            await host.StopAsync();
        }
    }

    private static Dictionary<string, object?> OnBehalfOf(object command, PractitionerId practitioner)
    {
        var fields = command.GetType().GetProperties().ToDictionary(p => p.Name, p => p.GetValue(command));
        fields["practitionerId"] = practitioner.Value;
        return fields;
    }

    [Fact]
    public async Task A_node_running_before_a_partner_system_was_registered_elsewhere_starts_consuming_its_commands()
    {
        var rig = PartnerRelayRig.OnSharedBroker(schema, virtualHost);
        await using var store = await rig.StartStoreAsync();
        var directory = rig.Directory(store);
        using var host = rig.RelayHost(store, directory);
        await host.StartAsync();
        var reader = host.Services.GetRequiredService<ClientTeamReader>();
        // This node starts with no partner system anywhere, so it listens to no inbound queue.
        var node = rig.InboundEndpoints(host, store, directory);
        node.RefreshInterval = TimeSpan.FromMilliseconds(200);
        await node.StartAsync(default);
        try
        {
            // Another node registers the health trust's system and provisions its queues; this node is not told directly.
            var health = await rig.RegisterPartnerAsync(directory, HealthTrust, PartnerScopes.InvolvementsWrite);
            await using var connection = await rig.ConnectAsAsync(health);
            await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(true, true));
            var client = ClientId.New();
            await RegisterClientAsync(host, client);
            var involvement = InvolvementId.New();
            await SendCommandAsync(channel, health, Guid.CreateVersion7(), "RecordInvolvement", RecordCommand(client, involvement, "general"));

            var (state, _) = await Eventually.Within(TimeSpan.FromSeconds(60), () => reader.LoadAsync(client, default),
                loaded => loaded.Client is not null, "this node to consume the command from the new partner's queue");
            state.ShouldNotBeNull().Involvements.Keys.ShouldBe([involvement]);
        }
        finally
        {
            await node.StopAsync(default);
            await host.StopAsync();
        }
    }

    private sealed record DeniedEntry(Guid? Practitioner, Guid? PartnerSystem, Guid Organisation, string Action, Guid? Client, string Channel, string? Rule, Guid? Correlation);

    /// <summary>Every refusal the audit trail holds in this schema, each field read from its column.</summary>
    private async Task<List<DeniedEntry>> DeniedEntriesAsync()
    {
        await using var connection = new Npgsql.NpgsqlConnection(LocalServers.PostgresOwner);
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand(
            "SELECT practitioner_id, partner_system_id, organisation_id, action, client_id, channel, rule, correlation_id " +
            $"FROM \"{schema.Name}\".audit_entries WHERE outcome = 'denied' ORDER BY at", connection);
        var entries = new List<DeniedEntry>();
        await using var rows = await command.ExecuteReaderAsync();
        while (await rows.ReadAsync())
        {
            Guid? Maybe(int column) => rows.IsDBNull(column) ? null : rows.GetGuid(column);
            entries.Add(new DeniedEntry(Maybe(0), Maybe(1), rows.GetGuid(2), rows.GetString(3), Maybe(4), rows.GetString(5),
                rows.IsDBNull(6) ? null : rows.GetString(6), Maybe(7)));
        }
        return entries;
    }
}
