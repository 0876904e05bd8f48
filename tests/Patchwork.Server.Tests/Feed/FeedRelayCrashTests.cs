using System.Collections.Concurrent;
using System.Text.Json;
using Patchwork.Core;
using Patchwork.Core.Attention;
using Patchwork.Core.Involvements;
using Patchwork.Server.Feed;
using Patchwork.Server.Tests.PartnerBus;
using Patchwork.Testing;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using static Patchwork.Server.Tests.PartnerBus.PartnerRelayRig;

namespace Patchwork.Server.Tests.Feed;

/// <summary>
/// The feed relay's crash and repeat (SECURITY.md, DESIGN.md §4): the server process is killed with SIGKILL while its feed
/// relay publishes practitioners' notices and the log goes on growing; after a restart every notice is published, and one
/// published again carries the message id it had before, so a node or a browser that dedupes on it sees each once.
/// </summary>
public sealed class FeedRelayCrashTests(PostgresSchema schema, RabbitVirtualHost virtualHost)
    : IClassFixture<PostgresSchema>, IClassFixture<RabbitVirtualHost>
{
    private const int RaisedAfterKill = 50;

    /// <summary>The fan-out exchange MassTransit publishes <see cref="FeedNotice"/> to (its message type's name).</summary>
    private static readonly string FeedExchange = $"{typeof(FeedNotice).Namespace}:{nameof(FeedNotice)}";

    [Fact]
    public async Task A_server_killed_mid_relay_publishes_every_feed_notice_after_a_restart_and_a_repeat_has_the_same_message_id()
    {
        var rig = OnSharedBroker(schema, virtualHost);
        await using var store = await rig.StartStoreAsync();

        // A client with a social worker and a police officer on the team: each attention the social worker raises is one
        // notice to the officer.
        var client = ClientId.New();
        var (socialWorker, officer) = (PractitionerId.New(), PractitionerId.New());
        await AppendAsync(store, client, Working(client, socialWorker, SocialCare), Working(client, officer, Police));
        await using var fanOut = await FanOut.ListenAsync(virtualHost, FeedExchange);

        var process = new RelayServerProcess(schema.Name, virtualHost);
        var server = process.Start();
        try
        {
            var raised = new ConcurrentBag<Guid>();
            var killed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var raising = Task.Run(async () =>
            {
                var afterKill = 0;
                while (afterKill < RaisedAfterKill)
                {
                    var attention = AttentionId.New();
                    await AppendAsync(store, client, new AttentionRaised(attention, client, socialWorker, SocialCare, DateTimeOffset.UtcNow));
                    raised.Add(attention.Value);
                    if (killed.Task.IsCompleted) afterKill++;
                }
            });

            List<Published> before;
            try
            {
                before = await fanOut.UntilAsync(heard => Attentions(heard).Count >= 20, "the feed relay to have published some notices", TimeSpan.FromSeconds(300));
            }
            catch (TimeoutException silent)
            {
                throw new TimeoutException($"{silent.Message}; {fanOut.Count} heard; the server said:\n{process.LastSaid}", silent);
            }
            server.Kill(entireProcessTree: true);
            await server.WaitForExitAsync();
            killed.SetResult();
            var heardBeforeKill = Attentions(before).Count;
            await raising;
            var attentions = raised.Count;
            heardBeforeKill.ShouldBeLessThan(attentions, "the kill came after the relay had finished");

            // A kill between the broker's confirm and the checkpoint's commit leaves the checkpoint behind what was
            // published; too narrow a window to hit by chance, so the test puts the checkpoint where such a kill would.
            await rig.RewindCheckpointAsync(FeedRelay.SubscriptionName);

            server.Dispose();
            server = process.Start();
            var heard = Attentions(await fanOut.UntilAsync(
                h => Attentions(h).Select(n => n.Subject).Distinct().Count() >= attentions && Attentions(h).Count >= attentions + heardBeforeKill,
                $"a notice for each of the {attentions} attentions, and the {heardBeforeKill} published before the kill again, after the restart",
                TimeSpan.FromSeconds(240)));

            heard.Select(n => n.Subject!.Value).Distinct().Order().ShouldBe(raised.Order(), "0 lost");
            heard.ShouldAllBe(n => n.Practitioner == officer.Value && n.MessageId == n.NoticeId.ToString());
            var repeated = heard.GroupBy(n => n.Subject).Count(repeats => repeats.Count() > 1);
            repeated.ShouldBeGreaterThanOrEqualTo(heardBeforeKill, "every notice published before the kill was published again");
            foreach (var repeats in heard.GroupBy(n => n.Subject)) repeats.Select(n => n.NoticeId).Distinct().ShouldHaveSingleItem();
            Console.WriteLine($"{heardBeforeKill} feed notices before SIGKILL, {heard.Count} in all, {heard.Count - attentions} repeats");
        }
        finally
        {
            if (!server.HasExited) server.Kill(entireProcessTree: true);
            server.Dispose();
        }
    }

    private static InvolvementRecorded Working(ClientId client, PractitionerId practitioner, OrganisationId organisation) =>
        new(InvolvementId.New(), client, practitioner, "key worker", null, Category.General, Today.AddDays(-10), new ContactRoute("01632 960000", null), false,
            new ActedBy(organisation, null, null), Now);

    private static List<Published> Attentions(IEnumerable<Published> heard) => [.. heard.Where(n => n.Kind == FeedNoticeKinds.AttentionRaised)];

    private sealed record Published(Guid NoticeId, string Kind, Guid Practitioner, Guid? Subject, string? MessageId);

    /// <summary>A queue of the test's own bound to the feed's fan-out exchange: every notice any node would hear.</summary>
    private sealed class FanOut : IAsyncDisposable
    {
        private readonly IConnection _connection;
        private readonly IChannel _channel;
        private readonly ConcurrentQueue<Published> _heard = new();

        private FanOut(IConnection connection, IChannel channel) => (_connection, _channel) = (connection, channel);

        public int Count => _heard.Count;

        public static async Task<FanOut> ListenAsync(RabbitVirtualHost virtualHost, string exchange)
        {
            var connection = await new ConnectionFactory
            {
                HostName = virtualHost.Host, Port = virtualHost.Port, VirtualHost = virtualHost.Name, UserName = virtualHost.Username, Password = virtualHost.Password,
            }.CreateConnectionAsync();
            var channel = await connection.CreateChannelAsync();
            var listening = new FanOut(connection, channel);
            // Declared as MassTransit declares a published type's exchange, so whichever comes first, the binding holds.
            await channel.ExchangeDeclareAsync(exchange, ExchangeType.Fanout, durable: true, autoDelete: false);
            var queue = (await channel.QueueDeclareAsync("", durable: false, exclusive: true, autoDelete: true)).QueueName;
            await channel.QueueBindAsync(queue, exchange, "");
            var consumer = new AsyncEventingBasicConsumer(channel);
            consumer.ReceivedAsync += (_, delivery) =>
            {
                using var envelope = JsonDocument.Parse(delivery.Body);
                var message = envelope.RootElement.GetProperty("message");
                listening._heard.Enqueue(new Published(message.GetProperty("id").GetGuid(), message.GetProperty("kind").GetString()!,
                    message.GetProperty("practitionerId").GetGuid(),
                    message.TryGetProperty("subjectId", out var subject) && subject.ValueKind == JsonValueKind.String ? subject.GetGuid() : null,
                    delivery.BasicProperties.MessageId));
                return Task.CompletedTask;
            };
            await channel.BasicConsumeAsync(queue, autoAck: true, consumer);
            return listening;
        }

        public Task<List<Published>> UntilAsync(Func<List<Published>, bool> done, string what, TimeSpan deadline) =>
            Eventually.Within(deadline, () => Task.FromResult(_heard.ToList()), done, what);

        public async ValueTask DisposeAsync()
        {
            await _channel.DisposeAsync();
            await _connection.DisposeAsync();
        }
    }
}
