using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Patchwork.Server.Demo;
using Patchwork.Testing;

namespace Patchwork.Server.Tests.Feed;

/// <summary>Two server processes on one database schema and one broker virtual host, as a two-node deployment runs.</summary>
public sealed class TwoNodes : IAsyncLifetime
{
    private readonly PostgresSchema _schema = new();
    private readonly RabbitVirtualHost _broker = new();

    public ServerNode A { get; private set; } = null!;
    public ServerNode B { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await _schema.InitializeAsync();
        await _broker.InitializeAsync();
        A = await ServerNode.StartAsync(_schema.Name, _broker.Name);
        B = await ServerNode.StartAsync(_schema.Name, _broker.Name);
    }

    public string Schema => _schema.Name;

    private readonly Dictionary<DemoPartnership.Staff, ServerNode.SignedIn> _signedIn = [];

    /// <summary>Each demo practitioner signs in once (their invitation is spent), on the node a test first asks for.</summary>
    public async Task<ServerNode.SignedIn> AsAsync(DemoPartnership.Staff staff, ServerNode node)
    {
        if (!_signedIn.TryGetValue(staff, out var signedIn)) _signedIn[staff] = signedIn = await node.SignInAsync(staff, invitedBy: A);
        return signedIn;
    }

    /// <summary>
    /// Stops every node's feed relay from storing notices until disposed: the relay's page fails and is retried, so
    /// whatever is appended meanwhile waits in the log and is decided again, under the policy of that moment, afterwards.
    /// (Marten's HotCold leader cannot be paused from outside without racing its lock monitor.)
    /// </summary>
    public async Task<IAsyncDisposable> HoldFeedRelayAsync()
    {
        var holder = new Npgsql.NpgsqlConnection(LocalServers.PostgresSuperuser);
        await holder.OpenAsync();
        var role = new Npgsql.NpgsqlConnectionStringBuilder(LocalServers.PostgresApp).Username;
        await using (var revoke = new Npgsql.NpgsqlCommand($"REVOKE INSERT, UPDATE ON \"{Schema}\".feed_notices FROM \"{role}\"", holder))
            await revoke.ExecuteNonQueryAsync();
        return new HeldRelay(holder, $"GRANT INSERT, UPDATE ON \"{Schema}\".feed_notices TO \"{role}\"");
    }

    private sealed class HeldRelay(Npgsql.NpgsqlConnection holder, string release) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await using (var grant = new Npgsql.NpgsqlCommand(release, holder))
                await grant.ExecuteNonQueryAsync();
            await holder.DisposeAsync();
        }
    }

    public async Task DisposeAsync()
    {
        if (A is not null) await A.DisposeAsync();
        if (B is not null) await B.DisposeAsync();
        await _broker.DisposeAsync();
        await _schema.DisposeAsync();
    }
}

/// <summary>Alone, after the parallel tests: four server processes on two cores would make the latency bar meaningless.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TwoNodesCollection : ICollectionFixture<TwoNodes>
{
    public const string Name = "Two server processes";
}

[Collection(TwoNodesCollection.Name)]
public sealed class TwoNodeFeedTests(TwoNodes nodes, Xunit.Abstractions.ITestOutputHelper output)
{
    private static async Task<Guid> RecordOnEllieAsync(ServerNode.SignedIn practitioner, string role, Stopwatch? committed = null)
    {
        var recorded = await practitioner.Browser.PostJsonAsync($"/api/v1/clients/{DemoPartnership.Ellie.Value}/involvements", new
        {
            role, category = "general", start = DateTime.UtcNow.AddDays(-1).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture),
            contact = new { phone = "01632 960321" },
        });
        committed?.Start();
        recorded.StatusCode.ShouldBe(HttpStatusCode.Created, await recorded.Content.ReadAsStringAsync());
        return (await recorded.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("involvementId").GetGuid();
    }

    private static string Problems(string output) =>
        string.Join('\n', output.Split('\n').Where(l => l.Contains("\"Warning\"", StringComparison.Ordinal) || l.Contains("\"Error\"", StringComparison.Ordinal) || l.Contains("\"Critical\"", StringComparison.Ordinal)).Select(l => l[..Math.Min(l.Length, 900)]).Take(6));

    [Fact]
    public async Task A_practitioner_on_node_B_hears_of_an_involvement_recorded_through_node_A_and_can_read_it_back()
    {
        // The police officer is on Ellie's team, with consent to the police sector; the team manager joins through node A.
        var officer = await nodes.AsAsync(DemoPartnership.PoliceOfficer, nodes.B);
        await using var feed = await officer.FeedAsync();

        // The first notice of a process pays for JIT compilation and the broker topology; the one measured is the next.
        var warmUp = await RecordOnEllieAsync(await nodes.AsAsync(DemoPartnership.TeamManager, nodes.A), "team manager");
        (await feed.NextNoticeAsync(TimeSpan.FromSeconds(30))).GetProperty("subjectId").GetGuid().ShouldBe(warmUp);

        var sergeant = await nodes.AsAsync(DemoPartnership.PoliceSergeant, nodes.A);
        var committed = new Stopwatch();
        var involvement = await RecordOnEllieAsync(sergeant, "detective sergeant", committed);
        JsonElement notice;
        try
        {
            notice = await feed.NextNoticeAsync(TimeSpan.FromSeconds(60));
        }
        catch (TimeoutException)
        {
            var stored = await (await officer.Http.GetAsync("/api/v1/notices?after=0")).Content.ReadAsStringAsync();
            throw new TimeoutException($"no notice; socket {feed.State}; stored: {stored}\nA: {Problems(nodes.A.Output)}\nB: {Problems(nodes.B.Output)}");
        }
        var latency = committed.Elapsed;
        output.WriteLine($"node A's 201 to node B's socket: {latency.TotalMilliseconds:0} ms");
        notice.GetProperty("kind").GetString().ShouldBe("involvement-visible");
        notice.GetProperty("clientId").GetGuid().ShouldBe(DemoPartnership.Ellie.Value);
        notice.GetProperty("subjectId").GetGuid().ShouldBe(involvement);
        // The latency is printed, not held to a limit here: a loaded machine must not fail a functional test. L1 in
        // `./patchwork bench feed` measures it on a quiet machine.
        // Ids and a position only: nothing about the person or the practitioner travels in the notice.
        notice.EnumerateObject().Select(p => p.Name).Order().ShouldBe(["at", "clientId", "id", "kind", "position", "subjectId"]);

        var page = await officer.Http.GetFromJsonAsync<JsonElement>("/api/v1/notices?after=0");
        page.GetProperty("notices").EnumerateArray().Select(n => n.GetProperty("id").GetGuid()).ShouldContain(notice.GetProperty("id").GetGuid());
        var after = notice.GetProperty("position").GetInt64();
        (await officer.Http.GetFromJsonAsync<JsonElement>($"/api/v1/notices?after={after}")).GetProperty("notices").EnumerateArray()
            .Select(n => n.GetProperty("position").GetInt64()).ShouldAllBe(p => p > after);
    }
}

[Collection(TwoNodesCollection.Name)]
public sealed class TwoNodeFeedOrderTests(TwoNodes nodes)
{
    [Fact]
    public async Task A_practitioners_notices_reach_their_socket_in_position_order()
    {
        var officer = await nodes.AsAsync(DemoPartnership.PoliceOfficer, nodes.B);
        var worker = await nodes.AsAsync(DemoPartnership.SocialWorker, nodes.A);
        await using var feed = await officer.FeedAsync();
        var raised = new List<Guid>();
        // Raised while no node relays, so the 30 notices go out together in one burst when the relay resumes.
        await using (await nodes.HoldFeedRelayAsync())
        {
            for (var i = 0; i < 30; i++)
            {
                var response = await worker.Browser.PostJsonAsync($"/api/v1/clients/{DemoPartnership.Ellie.Value}/attention", null);
                response.StatusCode.ShouldBe(HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
                raised.Add((await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid());
            }
        }

        var heard = new List<JsonElement>();
        await Eventually.Within(TimeSpan.FromSeconds(30), async () =>
        {
            try { heard.Add(await feed.NextNoticeAsync(TimeSpan.FromSeconds(1))); }
            catch (TimeoutException) { }
            return raised.All(id => heard.Any(n => n.GetProperty("subjectId").GetGuid() == id));
        }, "a notice for each of the 30 attentions raised");
        var positions = heard.Select(n => n.GetProperty("position").GetInt64()).ToList();
        positions.ShouldBe(positions.Order().ToList(), "pushed in position order, as the browser resumes after the last position it saw");
    }
}

[Collection(TwoNodesCollection.Name)]
public sealed class TwoNodeFeedSafetyTests(TwoNodes nodes)
{
    [Fact]
    public async Task The_feed_refuses_another_sites_origin_and_anyone_not_signed_in()
    {
        var dpo = await nodes.AsAsync(DemoPartnership.SocialCareDpo, nodes.B);
        await Should.ThrowAsync<System.Net.WebSockets.WebSocketException>(() => dpo.FeedAsync(origin: "https://evil.example"));
        await Should.ThrowAsync<System.Net.WebSockets.WebSocketException>(() => FeedSocket.ConnectAsync(nodes.B.Address, new CookieContainer()));
        await using var own = await dpo.FeedAsync();
        own.State.ShouldBe(System.Net.WebSockets.WebSocketState.Open);
    }

    [Fact]
    public async Task Disabling_an_account_on_node_A_closes_its_feed_on_node_B_at_once()
    {
        // A practitioner of the test's own, invited by the social care admin: the demo staff stay usable by the other tests.
        var admin = await nodes.AsAsync(DemoPartnership.PartnershipAdmin, nodes.A);
        var leaver = new DemoPartnership.Staff("Dana Leaving", "Family support worker", DemoPartnership.SocialCare, Patchwork.Core.Roles.Practitioner);
        // Someone new (no id of the register): the invitation gives them one.
        var invited = await admin.Browser.PostJsonAsync($"/api/v1/organisations/{DemoPartnership.SocialCare.Id.Value}/invitations",
            new { name = leaver.Name, email = leaver.Contact.Email });
        invited.StatusCode.ShouldBe(HttpStatusCode.Created);
        var leaverId = (await invited.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>()).GetProperty("practitionerId").GetGuid();
        var signedIn = await nodes.AsAsync(leaver, nodes.B);
        await using var feed = await signedIn.FeedAsync();
        feed.State.ShouldBe(System.Net.WebSockets.WebSocketState.Open);

        (await admin.Browser.PostJsonAsync($"/api/v1/practitioners/{leaverId}/disable", null)).StatusCode.ShouldBe(HttpStatusCode.NoContent);

        await feed.Closed.WaitAsync(TimeSpan.FromSeconds(2));
        (await signedIn.Http.GetAsync("/api/v1/notices")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Signing_out_on_node_A_closes_that_sessions_feed_on_node_B_at_once_and_a_kept_copy_of_its_cookie_is_refused_there()
    {
        var admin = await nodes.AsAsync(DemoPartnership.PartnershipAdmin, nodes.A);
        var leaver = new DemoPartnership.Staff("Sol Signing-Out", "Family support worker", DemoPartnership.SocialCare, Patchwork.Core.Roles.Practitioner);
        (await admin.Browser.PostJsonAsync($"/api/v1/organisations/{DemoPartnership.SocialCare.Id.Value}/invitations",
            new { name = leaver.Name, email = leaver.Contact.Email })).StatusCode.ShouldBe(HttpStatusCode.Created);
        var signedIn = await nodes.AsAsync(leaver, nodes.B);
        await using var feed = await signedIn.FeedAsync();
        feed.State.ShouldBe(System.Net.WebSockets.WebSocketState.Open);
        var kept = signedIn.Cookies.GetCookieHeader(nodes.B.Address);
        using var copyOnB = new HttpClient { BaseAddress = nodes.B.Address };
        copyOnB.DefaultRequestHeaders.Add("Cookie", kept);
        (await copyOnB.GetAsync("/api/v1/me")).StatusCode.ShouldBe(HttpStatusCode.OK, "node B has the session checked, and cached");

        // The same browser signs out through node A (the nodes share the data protection key ring, so either reads the cookie).
        using var onA = new SignIn.Browser(new HttpClient(new HttpClientHandler { CookieContainer = signedIn.Cookies, AllowAutoRedirect = false })
            { BaseAddress = nodes.A.Address });
        (await onA.PostFormAsync("/account/sign-out", [])).StatusCode.ShouldBe(HttpStatusCode.NoContent);

        await feed.Closed.WaitAsync(TimeSpan.FromSeconds(2));
        (await copyOnB.GetAsync("/api/v1/me")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await copyOnB.PostAsync("/hubs/feed/negotiate?negotiateVersion=1", null)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Every_break_glass_is_told_to_the_DPOs_of_the_practitioners_organisation_and_of_every_organisation_involved()
    {
        // Jayden's team is health and the refuge; the social care DPO hears of the police sergeant's break-glass on him only
        // when a social care practitioner breaks glass. Both DPOs listen on node B; both grants are made through node A.
        var socialCareDpo = await nodes.AsAsync(DemoPartnership.SocialCareDpo, nodes.B);
        var healthDpo = await nodes.AsAsync(DemoPartnership.HealthDpo, nodes.B);
        await using var socialCareFeed = await socialCareDpo.FeedAsync();
        await using var healthFeed = await healthDpo.FeedAsync();

        var byPolice = await BreakGlassOnJaydenAsync(await nodes.AsAsync(DemoPartnership.PoliceSergeant, nodes.A));
        (await NextBreakGlassAsync(healthFeed)).ShouldBe((DemoPartnership.Jayden.Value, byPolice), "the involved health trust's DPO");

        var bySocialCare = await BreakGlassOnJaydenAsync(await nodes.AsAsync(DemoPartnership.TeamManager, nodes.A));
        (await NextBreakGlassAsync(socialCareFeed)).ShouldBe((DemoPartnership.Jayden.Value, bySocialCare),
            "the social care DPO hears of their own practitioner's break-glass, and heard nothing of the police's before it");
        (await NextBreakGlassAsync(healthFeed)).ShouldBe((DemoPartnership.Jayden.Value, bySocialCare), "the involved health trust's DPO, again");

        var listed = await socialCareDpo.Http.GetFromJsonAsync<JsonElement>("/api/v1/notices?after=0&limit=200");
        var grants = listed.GetProperty("notices").EnumerateArray().Where(n => n.GetProperty("kind").GetString() == "break-glass")
            .Select(n => n.GetProperty("subjectId").GetGuid()).ToList();
        grants.ShouldContain(bySocialCare);
        grants.ShouldNotContain(byPolice);
    }

    private static async Task<Guid> BreakGlassOnJaydenAsync(ServerNode.SignedIn practitioner)
    {
        var granted = await practitioner.Browser.PostJsonAsync($"/api/v1/clients/{DemoPartnership.Jayden.Value}/break-glass",
            new { justification = "child reported missing overnight", durationMinutes = 60 });
        granted.StatusCode.ShouldBe(HttpStatusCode.Created, await granted.Content.ReadAsStringAsync());
        return (await granted.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("grantId").GetGuid();
    }

    /// <summary>The next break-glass notice on the socket (other notices, e.g. a team change, pass by): its client and grant.</summary>
    private static async Task<(Guid Client, Guid Grant)> NextBreakGlassAsync(FeedSocket feed)
    {
        while (true)
        {
            var notice = await feed.NextNoticeAsync(TimeSpan.FromSeconds(30));
            if (notice.GetProperty("kind").GetString() == "break-glass")
                return (notice.GetProperty("clientId").GetGuid(), notice.GetProperty("subjectId").GetGuid());
        }
    }

    [Fact]
    public async Task Consent_withdrawn_while_its_notices_wait_in_the_log_is_never_announced_on_any_channel()
    {
        var officer = await nodes.AsAsync(DemoPartnership.PoliceOfficer, nodes.B);
        var worker = await nodes.AsAsync(DemoPartnership.SocialWorker, nodes.A);
        var (withdrawn, withdrawnInvolvement) = await ClientWithOfficerAndWorkerAsync(worker, officer);
        var (kept, keptInvolvement) = await ClientWithOfficerAndWorkerAsync(worker, officer);
        await using var feed = await officer.FeedAsync();

        // Hold the feed relay's leader lock, so no node relays while the consent comes and goes: its notice waits in the log.
        await using (await nodes.HoldFeedRelayAsync())
        {
            var consent = await ConsentForPoliceAsync(worker, withdrawn);
            (await worker.Browser.PostJsonAsync($"/api/v1/clients/{withdrawn}/consents/{consent}/withdraw", null)).StatusCode.ShouldBe(HttpStatusCode.OK);
            await ConsentForPoliceAsync(worker, kept);
        }

        // The relay resumes; the kept client's notice proves it has passed the withdrawn one's events.
        var heard = new List<JsonElement>();
        await Eventually.Within(TimeSpan.FromSeconds(60), async () =>
        {
            try { heard.Add(await feed.NextNoticeAsync(TimeSpan.FromSeconds(1))); }
            catch (TimeoutException) { }
            return heard.Any(n => n.GetProperty("subjectId").GetGuid() == keptInvolvement);
        }, "the notice about the client whose consent was kept: " + string.Join('\n', (nodes.A.Output + "\n" + nodes.B.Output).Split('\n')
            .Where(l => l.Contains("\"Warning\"", StringComparison.Ordinal) || l.Contains("\"Error\"", StringComparison.Ordinal)).Select(l => l[..Math.Min(l.Length, 600)]).TakeLast(8)));
        heard.ShouldNotContain(n => n.GetProperty("subjectId").GetGuid() == withdrawnInvolvement);
        var listed = await officer.Http.GetFromJsonAsync<JsonElement>("/api/v1/notices?after=0&limit=200");
        listed.GetProperty("notices").EnumerateArray().ShouldNotContain(n => n.GetProperty("subjectId").GetGuid() == withdrawnInvolvement);
        listed.GetProperty("notices").EnumerateArray().ShouldContain(n => n.GetProperty("subjectId").GetGuid() == keptInvolvement);
    }

    private static async Task<(Guid Client, Guid WorkersInvolvement)> ClientWithOfficerAndWorkerAsync(ServerNode.SignedIn worker, ServerNode.SignedIn officer)
    {
        var registered = await worker.Browser.PostJsonAsync("/api/v1/clients", new
        {
            givenNames = "Feed", familyName = "Withdrawal" + Guid.NewGuid().ToString("N")[..8], dateOfBirth = "2012-02-02", candidatesSeen = true,
        });
        registered.StatusCode.ShouldBe(HttpStatusCode.Created, await registered.Content.ReadAsStringAsync());
        var client = (await registered.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("clientId").GetGuid();
        var start = DateTime.UtcNow.AddDays(-1).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        var mine = await worker.Browser.PostJsonAsync($"/api/v1/clients/{client}/involvements", new { role = "social worker", category = "general", start, contact = new { phone = "01632 960111" } });
        mine.StatusCode.ShouldBe(HttpStatusCode.Created);
        (await officer.Browser.PostJsonAsync($"/api/v1/clients/{client}/involvements", new { role = "officer", category = "general", start, contact = new { phone = "01632 960222" } }))
            .StatusCode.ShouldBe(HttpStatusCode.Created);
        return (client, (await mine.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("involvementId").GetGuid());
    }

    private static async Task<Guid> ConsentForPoliceAsync(ServerNode.SignedIn worker, Guid client)
    {
        var consent = await worker.Browser.PostJsonAsync($"/api/v1/clients/{client}/consents", new
        {
            scope = new { sector = "police" }, categories = new { includesGeneral = true, named = Array.Empty<string>() },
            givenBy = "personWithParentalResponsibility", evidence = new { kind = "written", reference = "form" },
        });
        consent.StatusCode.ShouldBe(HttpStatusCode.Created, await consent.Content.ReadAsStringAsync());
        return (await consent.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
    }
}
