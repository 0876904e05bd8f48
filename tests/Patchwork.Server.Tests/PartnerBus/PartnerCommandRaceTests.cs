using Microsoft.Extensions.DependencyInjection;
using Patchwork.Core;
using Patchwork.Core.Clients;
using Patchwork.Server.Tokens;
using Patchwork.Testing;
using RabbitMQ.Client;
using static Patchwork.Server.Tests.PartnerBus.PartnerRelayRig;

namespace Patchwork.Server.Tests.PartnerBus;

/// <summary>
/// Fault suite (issue 26): a partner command delivered twice at the same moment — a redelivery racing the original, two
/// nodes consuming the organisation's queue — has one effect and is never refused. Deduplication by message id holds under
/// concurrency, not only in sequence: a copy that reads the stream after the other copy committed sees "already recorded"
/// and must recognise its own message in the inbox rather than refuse it into the error queue.
/// </summary>
public sealed class PartnerCommandRaceTests(PostgresSchema schema, RabbitVirtualHost virtualHost)
    : IClassFixture<PostgresSchema>, IClassFixture<RabbitVirtualHost>
{
    private const int Pairs = 150;

    [Fact]
    public async Task The_same_command_delivered_twice_at_once_to_two_nodes_has_one_effect_and_no_refusal()
    {
        var rig = PartnerRelayRig.OnSharedBroker(schema, virtualHost);
        await using var store = await rig.StartStoreAsync();
        var directory = rig.Directory(store);
        var police = await rig.RegisterPartnerAsync(directory, Police, PartnerScopes.InvolvementsWrite);
        using var nodeA = rig.RelayHost(store, directory);
        using var nodeB = rig.RelayHost(store, directory);
        await nodeA.StartAsync();
        await nodeB.StartAsync();
        try
        {
            await rig.InboundEndpoints(nodeA, store, directory).ListenAsync(Police, default);
            await rig.InboundEndpoints(nodeB, store, directory).ListenAsync(Police, default);
            var reader = nodeA.Services.GetRequiredService<ClientTeamReader>();
            var clients = new List<ClientId>();
            for (var i = 0; i < Pairs; i++)
            {
                var client = ClientId.New();
                await RegisterClientAsync(nodeA, client);
                clients.Add(client);
            }

            await using var connection = await rig.ConnectAsAsync(police);
            await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(true, true));
            for (var i = 0; i < clients.Count; i++)
            {
                // Two copies, same message id and body; the broker hands them to the two nodes in turn. The gap between the
                // copies sweeps 0 to 24 ms, so across the pairs the second copy's first look at the inbox lands at every
                // point of the first copy's append, including just before its commit (the race this test is about).
                var messageId = Guid.CreateVersion7();
                var command = RecordCommand(clients[i], InvolvementId.New(), "general");
                await SendCommandAsync(channel, police, messageId, "RecordInvolvement", command);
                if (i % 25 > 0) await Task.Delay(TimeSpan.FromMilliseconds(i % 25 - 1));
                await SendCommandAsync(channel, police, messageId, "RecordInvolvement", command);
            }

            await using var application = await rig.ConnectAsApplicationAsync();
            async Task<uint> MessagesIn(string queue)
            {
                await using var look = await application.CreateChannelAsync();
                try { return (await look.QueueDeclarePassiveAsync(queue)).MessageCount; }
                catch (RabbitMQ.Client.Exceptions.OperationInterruptedException) { return 0; }
            }
            await Eventually.Within(TimeSpan.FromSeconds(120), async () =>
            {
                foreach (var client in clients)
                    if ((await reader.LoadAsync(client, default)).Client is not { Involvements.Count: > 0 }) return false;
                return await MessagesIn(police.Names.InboundQueue) == 0;
            }, "every pair handled");

            var effects = 0;
            foreach (var client in clients) effects += (await reader.LoadAsync(client, default)).Client!.Involvements.Count;
            var errors = await MessagesIn(police.Names.InboundQueue + "_error");
            var refusals = await DeniedCountAsync();
            Console.WriteLine($"{Pairs} commands delivered twice at once to 2 nodes: {effects} effects, {errors} in the error queue, {refusals} refusals audited");
            effects.ShouldBe(Pairs, "one effect per message id");
            errors.ShouldBe(0u, "no copy refused into the error queue");
            refusals.ShouldBe(0);
        }
        finally
        {
            await nodeB.StopAsync();
            await nodeA.StopAsync();
        }
    }

    private async Task<long> DeniedCountAsync()
    {
        await using var connection = new Npgsql.NpgsqlConnection(LocalServers.PostgresOwner);
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand($"SELECT count(*) FROM \"{schema.Name}\".audit_entries WHERE outcome = 'denied'", connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
