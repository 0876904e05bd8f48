using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Npgsql;
using Patchwork.Server.Demo;
using Patchwork.Server.Feed;
using Patchwork.Testing;

namespace Patchwork.Web.Tests;

/// <summary>
/// The live feed on networks that do not carry WebSockets (issue 25): the same journey over each transport the SignalR
/// client negotiates. A practitioner has Ellie's page open; the social worker raises attention and the banner and count
/// appear without a reload. Then the network between them drops every connection and stays down, the social worker
/// raises attention again — stored while the practitioner has no connection, so it cannot be pushed — and once back online
/// the browser reconnects by itself and shows it, read from <c>GET /api/v1/notices?after=</c>.
/// Each transport is forced as a locked-down browser or network would: WebSocket (or EventSource too) is missing.
/// </summary>
public sealed class LiveTransportTests(WebServer server) : IClassFixture<WebServer>
{
    private static readonly float Within = 120_000;
    private static readonly TimeSpan Deadline = TimeSpan.FromMilliseconds(Within);
    private static readonly string Ellie = $"/clients/{DemoPartnership.Ellie.Value}";

    /// <summary>The social worker's page, signed in once per host: the three journeys run one after another in this class.</summary>
    private static readonly ConcurrentDictionary<WebServer, Lazy<Task<IPage>>> SocialWorkers = new();

    [Fact]
    public Task Over_WebSockets_a_notice_arrives_live_and_one_missed_while_disconnected_is_shown_after_reconnecting() =>
        JourneyAsync(DemoPartnership.PoliceOfficer, Transport.WebSockets);

    [Fact]
    public Task Without_WebSockets_server_sent_events_carry_the_feed_and_a_missed_notice_is_shown_after_reconnecting() =>
        JourneyAsync(DemoPartnership.Teacher, Transport.ServerSentEvents);

    [Fact]
    public Task With_only_long_polling_the_feed_works_and_a_missed_notice_is_shown_after_reconnecting() =>
        JourneyAsync(DemoPartnership.SexualHealthNurse, Transport.LongPolling);

    private enum Transport
    {
        WebSockets,
        ServerSentEvents,
        LongPolling,
    }

    private async Task JourneyAsync(DemoPartnership.Staff watching, Transport transport)
    {
        var socialWorker = await SocialWorkers.GetOrAdd(server, _ => new(SignInSocialWorkerAsync)).Value;
        await using var network = new UnreliableNetwork(server.Address);
        await using var browser = await server.NewContextAsync(through: network.Address);
        if (transport != Transport.WebSockets) await browser.AddInitScriptAsync("delete window.WebSocket;");
        if (transport == Transport.LongPolling) await browser.AddInitScriptAsync("delete window.EventSource;");
        var page = await browser.NewPageAsync();
        var sockets = new ConcurrentBag<string>();
        var streams = new ConcurrentBag<string>();
        var polls = new ConcurrentBag<string>();
        page.WebSocket += (_, socket) => { if (socket.Url.Contains("/hubs/feed", StringComparison.Ordinal)) sockets.Add(socket.Url); };
        page.Request += (_, request) =>
        {
            if (!request.Url.Contains("/hubs/feed?id=", StringComparison.Ordinal) || request.Method != "GET") return;
            if (request.Headers.TryGetValue("accept", out var accept) && accept.Contains("text/event-stream", StringComparison.Ordinal)) streams.Add(request.Url);
            else polls.Add(request.Url);
        };

        await page.SignsInForTheFirstTimeAsync(watching);
        await page.OpensClientAsync(Ellie);
        await page.EvaluateAsync("() => window.patchworkSameDocument = true");
        var feed = page.Locator("#live-notices");
        await page.Locator("#live-notices[data-feed='connected']").WaitForAsync(new() { State = WaitForSelectorState.Attached, Timeout = Within });

        // 1. Live: the social worker raises attention; the open page shows the banner and the count without a reload.
        await RaiseAttentionAsync(socialWorker);
        await feed.Locator(".govuk-notification-banner", new() { HasText = "This client's team has changed" }).WaitForAsync(new() { Timeout = Within });
        var countBefore = await CountAsync(page);
        countBefore.ShouldBeGreaterThanOrEqualTo(1);
        switch (transport)
        {
            case Transport.WebSockets:
                sockets.ShouldNotBeEmpty("the feed was carried over a WebSocket");
                break;
            case Transport.ServerSentEvents:
                sockets.ShouldBeEmpty();
                streams.ShouldNotBeEmpty("the feed was carried as server-sent events");
                break;
            case Transport.LongPolling:
                sockets.ShouldBeEmpty();
                streams.ShouldBeEmpty();
                polls.ShouldNotBeEmpty("the feed was carried by long polling");
                break;
        }

        // 2. The network drops every connection and stays down: the browser notices, and once the node has noticed too,
        // it has no connection of theirs left to push to.
        var connections = server.Services.GetRequiredService<FeedConnections>();
        network.GoDown();
        await Eventually.Within(Deadline, async () => await feed.GetAttributeAsync("data-feed"), state => state == "reconnecting",
            "the browser to notice the dropped connection (data-feed is the client's state)");
        await Eventually.Within(Deadline, () => Task.FromResult(connections.Of(watching.Id.Value).Count == 0), "no feed connection of theirs on the node");

        // 3. Meanwhile the social worker raises attention again: the notice is stored for them, and nowhere to push it.
        var stored = await NoticesForAsync(watching);
        await RaiseAttentionAsync(socialWorker);
        await Eventually.Within(Deadline, async () => await NoticesForAsync(watching) > stored, "the missed notice to be stored");
        connections.Of(watching.Id.Value).Count.ShouldBe(0, "the notice was stored while they had no connection");

        // 4. The network is back: the browser reconnects by itself and shows what it missed, still without a reload.
        network.Restore();
        await page.Locator("#live-notices[data-feed='connected']").WaitForAsync(new() { State = WaitForSelectorState.Attached, Timeout = Within });
        await Eventually.Within(Deadline, async () => await CountAsync(page) > countBefore, "the missed notice to be counted after reconnecting");
        (await page.EvaluateAsync<bool>("() => window.patchworkSameDocument === true")).ShouldBeTrue("the page was reloaded");

        await page.GetByRole(AriaRole.Link, new() { Name = "See your notifications" }).ClickAsync();
        await page.Locator("#notifications").WaitForAsync();
        (await page.Locator("#notifications tbody tr", new() { HasText = "Someone raised attention on your client" }).CountAsync()).ShouldBeGreaterThanOrEqualTo(2);
    }

    private async Task<IPage> SignInSocialWorkerAsync()
    {
        var browser = await server.NewContextAsync();
        var page = await browser.NewPageAsync();
        await page.SignsInForTheFirstTimeAsync(DemoPartnership.SocialWorker);
        return page;
    }

    private static async Task RaiseAttentionAsync(IPage socialWorker)
    {
        await socialWorker.OpensClientAsync(Ellie);
        await socialWorker.GetByRole(AriaRole.Link, new() { Name = "Raise attention" }).ClickAsync();
        await socialWorker.GetByRole(AriaRole.Button, new() { Name = "Raise attention" }).ClickAsync();
        await socialWorker.GetByText("Attention is raised. The team is told.").WaitForAsync(new() { Timeout = Within });
    }

    private static async Task<int> CountAsync(IPage page)
    {
        var text = await page.Locator("#notice-count").InnerTextAsync();
        var digits = new string(text.TakeWhile(char.IsAsciiDigit).ToArray());
        return digits.Length == 0 ? 0 : int.Parse(digits, System.Globalization.CultureInfo.InvariantCulture);
    }

    private async Task<long> NoticesForAsync(DemoPartnership.Staff staff)
    {
        await using var connection = new NpgsqlConnection(LocalServers.PostgresOwner);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"SELECT count(*) FROM \"{server.Schema}\".feed_notices WHERE practitioner_id = @practitioner", connection);
        command.Parameters.AddWithValue("practitioner", staff.Id.Value);
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
