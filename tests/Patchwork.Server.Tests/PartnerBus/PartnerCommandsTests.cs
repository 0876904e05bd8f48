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
        var audit = rig.Audit(store);
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
            // Each refusal is audited once, against the queue's organisation, naming the sender the broker vouched for.
            var entries = await Eventually.Within(TimeSpan.FromSeconds(30), async () =>
                    (await audit.AllAsync(client, default)).Concat(await UnattributedAsync()).Where(e => e.Outcome == AuditOutcome.Denied).ToList(),
                found => found.Count >= 3, "three audit entries for the refused commands");
            entries.Count.ShouldBe(3, string.Join("; ", entries.Select(e => $"{e.Action} {e.Rule} {e.CorrelationId}")));
            entries.ShouldAllBe(e => e.Organisation == Police && e.Channel == AuditChannel.Bus);
            entries.Select(e => e.Rule).Order().ShouldBe(["Invalid:category", "Invalid:user_id", "Unreadable:SerializationException"]);
            entries.Single(e => e.Rule == "Invalid:user_id").Actor.Id.ShouldBe(Guid.Empty, "no user_id: the sender is unknown");
            entries.Single(e => e.Rule == "Invalid:user_id").CorrelationId.ShouldBe(noSender);
            entries.Single(e => e.Rule == "Invalid:category").Actor.Id.ShouldBe(policeSystem.Value);
            entries.Single(e => e.Rule!.StartsWith("Unreadable", StringComparison.Ordinal)).CorrelationId.ShouldBe(unreadable);

            await Eventually.Within(TimeSpan.FromSeconds(90), async () => await MessagesIn(police.Names.InboundQueue) == 0, "every command handled");
            await Eventually.Within(TimeSpan.FromSeconds(90), async () => (await reader.LoadAsync(client, default)).Client is not null, "the first command's effect");
            var (state, _) = await reader.LoadAsync(client, default);
            // Both deliveries share one message id (with different bodies, to make the dedupe visible): whichever ran first counts.
            var recorded = state.ShouldNotBeNull().Involvements.Values.ShouldHaveSingleItem("one message id, one effect; refused commands, none");
            recorded.Id.ShouldBeOneOf(first, sameMessageOtherInvolvement);
            recorded.Organisation.ShouldBe(Police, "the organisation is the queue's");
        }
        finally
        {
            await host.StopAsync();
        }
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

    private async Task<List<AuditEntry>> UnattributedAsync()
    {
        // An unreadable command names no client; its entry is found by organisation and action.
        await using var connection = new Npgsql.NpgsqlConnection(LocalServers.PostgresOwner);
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand(
            $"SELECT rule, partner_system_id, correlation_id FROM \"{schema.Name}\".audit_entries WHERE client_id IS NULL AND action = 'partner-command'", connection);
        var entries = new List<AuditEntry>();
        await using var rows = await command.ExecuteReaderAsync();
        while (await rows.ReadAsync())
            entries.Add(new AuditEntry(Guid.Empty, default, new ActingPrincipal(PrincipalKind.PartnerSystem, rows.GetGuid(1)), Police, "partner-command", null,
                AuditChannel.Bus, null, AuditOutcome.Denied, rows.GetString(0), rows.IsDBNull(2) ? null : rows.GetGuid(2)));
        return entries;
    }
}
