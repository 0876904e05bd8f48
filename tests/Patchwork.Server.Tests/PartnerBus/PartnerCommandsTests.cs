using System.Text;
using System.Text.Json;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Patchwork.Core;
using Patchwork.Core.Clients;
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
        var rig = new PartnerRelayRig(schema, new BrokerAddress(virtualHost.Host, virtualHost.Port, virtualHost.Name, virtualHost.Username, virtualHost.Password,
            LocalServers.RabbitManagementUrl, LocalServers.RabbitAdminUsername, LocalServers.RabbitAdminPassword));
        await using var store = await rig.StartStoreAsync();
        var directory = new PostgresPartnerClientDirectory(store.DataSource, new TokenOptions { Schema = schema.Name }, TimeProvider.System);
        var policeSystem = PartnerSystemId.New();
        await directory.RegisterAsync(new PartnerClientRegistration(policeSystem, Police, "police case system", [PartnerScopes.InvolvementsWrite]), default);
        var police = await rig.ProvisionAsync(Police, policeSystem.Value);
        using var host = rig.RelayHost(store, directory);
        await host.StartAsync();
        var reader = host.Services.GetRequiredService<ClientTeamReader>();
        var endpoints = new PartnerInboundEndpoints(host.Services.GetRequiredService<IReceiveEndpointConnector>(), directory, store, reader,
            TimeProvider.System, NullLogger<PartnerInboundEndpoints>.Instance);
        await endpoints.ListenAsync(Police, default);
        try
        {
            await using var connection = await rig.ConnectAsAsync(police);
            await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(true, true));
            var client = ClientId.New();
            var first = InvolvementId.New();
            var sameMessageOtherInvolvement = InvolvementId.New();
            var messageId = Guid.CreateVersion7();

            await SendAsync(channel, police, messageId, "RecordInvolvement", Record(client, first, "general"));
            await SendAsync(channel, police, messageId, "RecordInvolvement", Record(client, sameMessageOtherInvolvement, "general"));
            await SendAsync(channel, police, Guid.CreateVersion7(), "RecordInvolvement", Record(client, InvolvementId.New(), "astrology"));
            await SendAsync(channel, police, Guid.CreateVersion7(), "RecordInvolvement", Record(client, InvolvementId.New(), "general"), userId: null);

            await using var application = await rig.ConnectAsApplicationAsync();
            async Task<uint> MessagesIn(string queue)
            {
                // A passive declare of a queue not made yet closes its channel, so each look gets a channel of its own.
                await using var look = await application.CreateChannelAsync();
                try { return (await look.QueueDeclarePassiveAsync(queue)).MessageCount; }
                catch (RabbitMQ.Client.Exceptions.OperationInterruptedException) { return 0; }
            }
            var errors = await Eventually.Within(TimeSpan.FromSeconds(90), () => MessagesIn(police.Names.InboundQueue + "_error"),
                count => count == 2, "the two refused commands in the error queue");
            errors.ShouldBe(2u);

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

    private static object Record(ClientId client, InvolvementId involvement, string category) => new
    {
        commandId = Guid.CreateVersion7(), clientId = client.Value, involvementId = involvement.Value, practitionerId = (Guid?)null,
        role = "officer in the case", service = "Public protection", category, start = Today.AddDays(-1).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture),
        contactPhone = "01632 960321", contactEmail = (string?)null,
    };

    private static async Task SendAsync(IChannel channel, PartnerBrokerCredentials partner, Guid messageId, string type, object message, string? userId = "")
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
        await channel.BasicPublishAsync(partner.Names.InboundExchange, "", true, properties, Encoding.UTF8.GetBytes(JsonSerializer.Serialize(envelope, JsonSerializerOptions.Web)));
    }
}
