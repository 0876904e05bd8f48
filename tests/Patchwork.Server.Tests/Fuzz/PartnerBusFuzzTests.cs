using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using FsCheck;
using FsCheck.Fluent;
using Microsoft.Extensions.DependencyInjection;
using Patchwork.Core;
using Patchwork.Core.Clients;
using Patchwork.Server.PartnerBus;
using Patchwork.Server.Tests.PartnerBus;
using Patchwork.Server.Tokens;
using Patchwork.Testing;
using RabbitMQ.Client;
using Xunit.Abstractions;
using static Patchwork.Server.Tests.PartnerBus.PartnerRelayRig;

namespace Patchwork.Server.Tests.Fuzz;

/// <summary>
/// Issue 26: a partner's inbound exchange sent FsCheck-generated bad messages as the partner itself (its broker user):
/// bytes that are not JSON, JSON that is not an envelope, envelopes of types Patchwork does not take, commands with
/// fields missing, of the wrong JSON type, with hostile strings, naming clients no one registered, and random headers.
/// Every one is refused and copied to exactly one queue: the inbound queue's error queue, or its skipped queue for a
/// well-formed envelope of a type Patchwork does not take (by design); sent N bad, N copies in all, each where it belongs.
/// The consumer keeps consuming: a valid command sent after the storm takes effect, and no bad one recorded anything.
/// </summary>
[Trait("Category", "Fuzz")]
public sealed class PartnerBusFuzzTests(PostgresSchema schema, RabbitVirtualHost virtualHost, ITestOutputHelper output)
    : IClassFixture<PostgresSchema>, IClassFixture<RabbitVirtualHost>
{
    private static readonly string[] Hostile =
    [
        "", " ", "\u0000", "\u202eevil", "😀👩‍👩‍👧‍👦", "\ud83d", "'; DROP TABLE clients; --", "<script>alert(1)</script>", "../../etc/passwd",
        "{{7*7}}", "null", "2026-02-30", "9999-12-31", new string('x', 2_000),
    ];

    private sealed record BadMessage(string Kind, BasicProperties Properties, byte[] Body);

    [Fact]
    public async Task Every_bad_message_on_a_partners_inbound_exchange_is_refused_to_its_error_queue_and_the_consumer_goes_on()
    {
        var organisation = OrganisationId.New();
        var rig = OnSharedBroker(schema, virtualHost);
        await using var store = await rig.StartStoreAsync();
        var directory = rig.Directory(store);
        var partner = await rig.RegisterPartnerAsync(directory, organisation, PartnerScopes.InvolvementsWrite);
        using var host = rig.RelayHost(store, directory);
        await host.StartAsync();
        var endpoints = rig.InboundEndpoints(host, store, directory);
        await endpoints.ListenAsync(organisation, default);
        var registered = ClientId.New();
        await RegisterClientAsync(host, registered);

        var messages = Gen.Sample(Bad(partner.Username, registered), FuzzSettings.BusMessages, new Rnd(FuzzSettings.Seed), 30);
        await using (var connection = await rig.ConnectAsAsync(partner))
        await using (var channel = await connection.CreateChannelAsync(new CreateChannelOptions(true, true)))
            foreach (var message in messages)
                await channel.BasicPublishAsync(partner.Names.InboundExchange, "", true, message.Properties, message.Body);

        var involvement = InvolvementId.New();
        await using (var connection = await rig.ConnectAsAsync(partner))
        await using (var channel = await connection.CreateChannelAsync(new CreateChannelOptions(true, true)))
            await SendCommandAsync(channel, partner, Guid.CreateVersion7(), "RecordInvolvement", RecordCommand(registered, involvement, "general"));
        var reader = host.Services.GetRequiredService<ClientTeamReader>();
        var (state, _) = await Eventually.Within(TimeSpan.FromSeconds(120), () => reader.LoadAsync(registered, default),
            loaded => loaded.Client?.Involvements.ContainsKey(involvement) == true, "the valid command after the storm took effect");
        state.ShouldNotBeNull().Involvements.Keys.ShouldBe([involvement], "no bad message recorded anything");

        var queue = partner.Names.InboundQueue;
        var (errors, skipped) = await Eventually.Within(TimeSpan.FromSeconds(120), () => CountsAsync(rig, queue),
            counts => counts.Errors + counts.Skipped >= messages.Length, $"{messages.Length} refused copies");
        var printed = $"Partner bus fuzz: seed {FuzzSettings.Seed}, {messages.Length} bad messages sent " +
            $"({string.Join(", ", messages.GroupBy(m => m.Kind).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Key} {g.Count()}"))}); " +
            $"{queue}_error {errors}, {queue}_skipped {skipped}; the valid command after them took effect";
        output.WriteLine(printed);
        FuzzSettings.Keep("bus-fuzz.txt", printed);
        // Every bad message is in exactly one queue: a readable envelope naming no command Patchwork takes is skipped, every
        // other one (not JSON, truncated, or a command we take that is unreadable or refused) is in the error queue.
        var expectedSkipped = messages.Count(m => MessageTypes(m.Body) is { } types && !types.Any(Taken.Contains));
        ((int)errors).ShouldBe(messages.Length - expectedSkipped, printed);
        ((int)skipped).ShouldBe(expectedSkipped, printed);
        expectedSkipped.ShouldBeGreaterThanOrEqualTo(messages.Count(m => m.Kind == "unknown type"), "the unknown types are among the skipped");

        // Nothing arrives late: a second valid command, handled after every bad one, leaves both counts as they were.
        var later = InvolvementId.New();
        await using (var connection = await rig.ConnectAsAsync(partner))
        await using (var channel = await connection.CreateChannelAsync(new CreateChannelOptions(true, true)))
            await SendCommandAsync(channel, partner, Guid.CreateVersion7(), "RecordInvolvement", RecordCommand(registered, later, "general"));
        await Eventually.Within(TimeSpan.FromSeconds(120), async () => (await reader.LoadAsync(registered, default)).Client?.Involvements.ContainsKey(later) == true,
            "the second valid command took effect");
        (await CountsAsync(rig, queue)).ShouldBe((errors, skipped), "no copy arrived after the counts were taken");
        await endpoints.StopAsync(default);
        await host.StopAsync();
    }

    private static readonly string[] Taken = ["RecordInvolvement", "EndInvolvement", "RegisterClient"];

    /// <summary>The command names an envelope's <c>messageType</c> gives, or null for a body that is not a JSON object.</summary>
    private static string[]? MessageTypes(byte[] body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            if (document.RootElement.ValueKind != JsonValueKind.Object) return null;
            return document.RootElement.TryGetProperty("messageType", out var types) && types.ValueKind == JsonValueKind.Array
                ? [.. types.EnumerateArray().Where(t => t.ValueKind == JsonValueKind.String).Select(t => t.GetString()!.Split(':')[^1])]
                : [];
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static async Task<(uint Errors, uint Skipped)> CountsAsync(PartnerRelayRig rig, string queue)
    {
        await using var connection = await rig.ConnectAsApplicationAsync();
        async Task<uint> CountAsync(string name)
        {
            await using var channel = await connection.CreateChannelAsync();
            try
            {
                return (await channel.QueueDeclarePassiveAsync(name)).MessageCount;
            }
            catch (RabbitMQ.Client.Exceptions.OperationInterruptedException)
            {
                return 0; // Not declared yet: nothing moved there so far.
            }
        }
        return (await CountAsync(queue + "_error"), await CountAsync(queue + "_skipped"));
    }

    /// <summary>A message that must be refused, of one of the kinds in the class summary, with random extra headers.</summary>
    private static Gen<BadMessage> Bad(string partnerUser, ClientId registered)
    {
        var hostile = Gen.Elements(Hostile);
        var command = Gen.Elements("RecordInvolvement", "EndInvolvement", "ChangeInvolvement", "RegisterClient");
        var body = Gen.Frequency(
            (2, Gen.Choose(0, 255).ArrayOf().Select(bytes => ("not JSON", (byte[])[0xff, .. bytes.Take(200).Select(b => (byte)b)]))),
            (1, Gen.Elements("{", "[1,2", "not json at all", "{\"messageType\": ").Select(t => ("truncated JSON", Encoding.UTF8.GetBytes(t)))),
            (2, hostile.Select(name => ("unknown type", Envelope($"urn:message:Patchwork.Contracts.V1:Drop{name.GetHashCode(StringComparison.Ordinal):x}", new JsonObject())))),
            (2, command.SelectMany(_ => hostile, (type, text) => ("unregistered client", Envelope($"urn:message:Patchwork.Contracts.V1:{type}", new JsonObject
            {
                ["commandId"] = Guid.CreateVersion7(),
                ["clientId"] = Guid.NewGuid(),
                ["involvementId"] = Guid.NewGuid(),
                ["role"] = text,
                ["service"] = text,
                ["category"] = "general",
                ["start"] = "2026-01-05",
                ["givenNames"] = text,
                ["familyName"] = text,
                ["dateOfBirth"] = "2015-06-01",
            })))),
            (2, hostile.Select(text => ("hostile category", Envelope("urn:message:Patchwork.Contracts.V1:RecordInvolvement", new JsonObject
            {
                ["commandId"] = Guid.CreateVersion7(),
                ["clientId"] = registered.Value,
                ["involvementId"] = Guid.NewGuid(),
                ["role"] = text,
                ["category"] = "not-a-category" + text,
                ["start"] = "2026-01-05",
            })))),
            (1, command.Select(type => ("missing fields", Envelope($"urn:message:Patchwork.Contracts.V1:{type}", new JsonObject { ["commandId"] = Guid.CreateVersion7() })))),
            (1, command.Select(type => ("wrong types", Envelope($"urn:message:Patchwork.Contracts.V1:{type}", new JsonObject
            {
                ["commandId"] = 5,
                ["clientId"] = true,
                ["involvementId"] = new JsonArray(),
                ["role"] = 7,
                ["category"] = new JsonObject(),
                ["start"] = false,
            })))),
            (1, Gen.Constant(("envelope without message", Encoding.UTF8.GetBytes("{\"messageId\":\"" + Guid.Empty + "\",\"messageType\":[\"urn:message:Patchwork.Contracts.V1:RecordInvolvement\"]}")))));
        var headers = Gen.Frequency(
            (2, Gen.Constant(new Dictionary<string, object?>())),
            (1, hostile.Select(text => new Dictionary<string, object?> { ["x-fuzz"] = text.Length > 0 ? text : "empty", ["MT-Host-MachineName"] = text })));
        return body.SelectMany(_ => headers, (b, h) =>
        {
            var properties = new BasicProperties
            {
                MessageId = Guid.NewGuid().ToString(),
                ContentType = "application/vnd.masstransit+json",
                DeliveryMode = DeliveryModes.Persistent,
                UserId = partnerUser,
                Headers = h.Count > 0 ? h : null,
            };
            return new BadMessage(b.Item1, properties, b.Item2);
        });
    }

    private static byte[] Envelope(string type, JsonObject message) => Encoding.UTF8.GetBytes(new JsonObject
    {
        ["messageId"] = Guid.NewGuid(),
        ["messageType"] = new JsonArray(type),
        ["sentTime"] = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture),
        ["message"] = message,
    }.ToJsonString());
}
