using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using FsCheck;
using FsCheck.Fluent;
using Patchwork.Server.Demo;
using Patchwork.Server.Tests.Feed;
using Patchwork.Testing;
using Xunit.Abstractions;

namespace Patchwork.Server.Tests.Fuzz;

/// <summary>One real server process (Kestrel, so real WebSockets; a crash is the process ending) for the hub fuzz.</summary>
public sealed class FuzzNode : IAsyncLifetime
{
    private readonly PostgresSchema _schema = new();
    private readonly RabbitVirtualHost _broker = new();

    public ServerNode Node { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await _schema.InitializeAsync();
        await _broker.InitializeAsync();
        Node = await ServerNode.StartAsync(_schema.Name, _broker.Name);
    }

    public async Task DisposeAsync()
    {
        if (Node is not null) await Node.DisposeAsync();
        await _broker.DisposeAsync();
        await _schema.DisposeAsync();
    }
}

/// <summary>
/// Issue 26: the live feed's hub sent FsCheck-generated frames over raw WebSockets by a signed-in practitioner — random
/// JSON, invocations of unknown and known method names with random arguments, every message type with wrong fields,
/// garbage bytes, frames past the hub's size limit, handshakes that lie — and its negotiate endpoint random requests. The
/// server process never ends, never answers 5xx, still answers /health/live, and a well-behaved feed connection opened
/// after the storm still hears the next notice.
/// </summary>
[Trait("Category", "Fuzz")]
public sealed class FeedHubFuzzTests(FuzzNode fixture, ITestOutputHelper output) : IClassFixture<FuzzNode>
{
    private const char Separator = '\u001e';

    private static readonly string[] Targets =
    [
        "notice", "OnConnectedAsync", "OnDisconnectedAsync", "Dispose", "StartAsync", "Consume", "SendAsync", "", "\u0000", "不明", new string('m', 5_000),
    ];

    [Fact]
    public async Task Random_frames_on_the_feed_hub_crash_nothing_and_a_normal_client_still_hears_notices()
    {
        var node = fixture.Node;
        var officer = await node.SignInAsync(DemoPartnership.PoliceOfficer, node);
        var manager = await node.SignInAsync(DemoPartnership.TeamManager, node);
        var frames = Gen.Sample(Frame(), FuzzSettings.Frames, new Rnd(FuzzSettings.Seed), 30);

        var sent = 0;
        var closedByServer = 0;
        var statuses = new Dictionary<int, int>();
        // Connections of a few dozen frames each: the hub closes a connection on a frame it cannot read, so one connection per storm would test one frame.
        foreach (var chunk in frames.Chunk(25))
        {
            using var socket = new ClientWebSocket();
            socket.Options.Cookies = officer.Cookies;
            socket.Options.SetRequestHeader("Origin", node.Address.GetLeftPart(UriPartial.Authority));
            await socket.ConnectAsync(new UriBuilder(node.Address) { Scheme = "ws", Path = "/hubs/feed" }.Uri, CancellationToken.None);
            var draining = DrainAsync(socket);
            foreach (var frame in chunk)
            {
                if (socket.State != WebSocketState.Open) break;
                try
                {
                    await socket.SendAsync(frame.Bytes, frame.Binary ? WebSocketMessageType.Binary : WebSocketMessageType.Text, true, CancellationToken.None);
                    sent++;
                }
                catch (WebSocketException)
                {
                    break;
                }
            }
            if (socket.State == WebSocketState.Open)
            {
                try { await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", CancellationToken.None); }
                catch (WebSocketException) { /* the server closed it first */ }
            }
            else closedByServer++;
            await draining;
            node.HasExited.ShouldBeFalse($"the server process ended during the storm:{Environment.NewLine}{Tail(node.Output)}");
        }

        // The negotiate endpoint, sent random bodies and queries over plain HTTP.
        foreach (var (query, body) in Gen.Sample(Negotiation(), Math.Max(20, FuzzSettings.Frames / 5), new Rnd(FuzzSettings.Seed + 1), 30))
        {
            using var response = await officer.Http.PostAsync("/hubs/feed/negotiate" + query, new StringContent(body, Encoding.UTF8, "application/json"));
            var status = (int)response.StatusCode;
            statuses[status] = statuses.GetValueOrDefault(status) + 1;
        }

        var printed = $"SignalR hub fuzz: seed {FuzzSettings.Seed}, {frames.Length} frames generated, {sent} sent over {frames.Chunk(25).Count()} connections, " +
            $"{closedByServer} closed by the server; negotiate by status: {string.Join(" ", statuses.OrderBy(s => s.Key).Select(s => $"{s.Key}:{s.Value}"))}";
        output.WriteLine(printed);
        FuzzSettings.Keep("hub-fuzz.txt", printed);

        node.HasExited.ShouldBeFalse(Tail(node.Output));
        statuses.Keys.ShouldAllBe(status => status < 500, printed);
        using (var live = await officer.Http.GetAsync("/health/live")) live.StatusCode.ShouldBe(HttpStatusCode.OK);
        await using var feed = await officer.FeedAsync();
        var recorded = await manager.Browser.PostJsonAsync($"/api/v1/clients/{DemoPartnership.Ellie.Value}/involvements", new
        {
            role = "team manager after the storm", category = "general",
            start = DateTime.UtcNow.AddDays(-1).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture),
            contact = new { phone = "01632 960321" },
        });
        recorded.StatusCode.ShouldBe(HttpStatusCode.Created, await recorded.Content.ReadAsStringAsync());
        var involvement = (await recorded.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("involvementId").GetGuid();
        (await feed.NextNoticeAsync(TimeSpan.FromSeconds(60))).GetProperty("subjectId").GetGuid().ShouldBe(involvement, "the notice after the storm");
    }

    private static string Tail(string log) => string.Join('\n', log.Split('\n').TakeLast(20));

    /// <summary>Reads whatever the server sends until it closes; what it sends is not the point, only that it keeps serving.</summary>
    private static async Task DrainAsync(ClientWebSocket socket)
    {
        var buffer = new byte[8192];
        try
        {
            while (socket.State is WebSocketState.Open or WebSocketState.CloseSent)
                if ((await socket.ReceiveAsync(buffer, CancellationToken.None)).MessageType == WebSocketMessageType.Close) return;
        }
        catch (WebSocketException)
        {
            // Aborted by the server: also an answer.
        }
    }

    private sealed record SentFrame(byte[] Bytes, bool Binary);

    private static Gen<JsonNode?> AnyJson() => Gen.OneOf(
        Gen.Elements<JsonNode?>(null, JsonValue.Create(true), JsonValue.Create(-1), JsonValue.Create(long.MaxValue), JsonValue.Create(1e308),
            JsonValue.Create(""), JsonValue.Create("\u0000"), JsonValue.Create("😀"), JsonValue.Create(new string('x', 900))),
        Gen.Constant(0).Select(_ => (JsonNode?)new JsonArray(1, "two", null)),
        Gen.Constant(0).Select(_ => (JsonNode?)new JsonObject { ["nested"] = new JsonObject { ["deeper"] = new JsonArray() } }));

    /// <summary>One frame: a hub message of any type with random fields, a fresh handshake, non-JSON text, bytes, or too much.</summary>
    private static Gen<SentFrame> Frame()
    {
        var message = Gen.Choose(-1, 10).SelectMany(type => Gen.Elements(Targets), (type, target) => (type, target))
            .SelectMany(t => AnyJson().ListOf(), (t, args) => (t.type, t.target, args))
            .SelectMany(t => Gen.Elements<string?>(null, "1", "", "-1", new string('9', 50)), (t, id) =>
            {
                var record = new JsonObject { ["type"] = t.type, ["target"] = t.target, ["arguments"] = new JsonArray([.. t.args.Take(5).Select(a => a?.DeepClone())]) };
                if (id is not null) record["invocationId"] = id;
                return Text(record.ToJsonString() + Separator);
            });
        return Gen.Frequency(
            (6, message),
            (1, Gen.Elements("{\"protocol\":\"json\",\"version\":1}", "{\"protocol\":\"messagepack\",\"version\":1}", "{\"protocol\":\"json\",\"version\":99}", "{}")
                .Select(h => Text(h + Separator))),
            (1, Gen.Elements("not json", "{", "[1,2", "\u0000\u0000", "{\"type\":1}", "{\"type\":\"1\",\"target\":1}", "{\"type\":1,\"target\":\"notice\",\"arguments\":{}}")
                .Select(t => Text(t + Separator))),
            (1, Gen.Elements("{\"type\":6}", "{\"type\":1,\"target\":\"x\",\"arguments\":[]}").Select(t => Text(t))),
            (1, Gen.Choose(0, 255).ArrayOf().Select(bytes => new SentFrame([.. bytes.Take(300).Select(b => (byte)b)], Binary: true))),
            (1, Gen.Elements(2_000, 64 * 1024, 1024 * 1024).Select(size => Text("{\"type\":1,\"target\":\"notice\",\"arguments\":[\"" + new string('a', size) + "\"]}" + Separator))));
    }

    private static SentFrame Text(string text) => new(Encoding.UTF8.GetBytes(text), Binary: false);

    private static Gen<(string Query, string Body)> Negotiation() =>
        Gen.Elements("", "?negotiateVersion=1", "?negotiateVersion=-1", "?negotiateVersion=99999999999", "?negotiateVersion=abc", "?id=%00", "?x=" + new string('q', 3_000))
            .SelectMany(_ => Gen.Elements("", "{}", "{", "null", new string('[', 300), "{\"protocol\":1}"), (query, body) => (query, body));
}
