using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Npgsql;
using Patchwork.Core;
using Patchwork.Server.Demo;
using Patchwork.Testing;

namespace Patchwork.Server.Tests.Api;

/// <summary>Changing a client's record through the API: the pipeline, versions, idempotency and malformed input.</summary>
public sealed class CommandTests(ApiServer server) : IClassFixture<ApiServer>
{
    private static object Involvement(string role = "allocated worker", string category = "general") => new
    {
        role, category, start = DateOnly.FromDateTime(DateTime.UtcNow.AddDays(-2)).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture),
        contact = new { phone = "01632 960999", email = "someone@wessex.example.org" },
    };

    private static string Team(ClientId client) => $"/api/v1/clients/{client.Value}/team?purpose=casework";

    private static string Involvements(ClientId client) => $"/api/v1/clients/{client.Value}/involvements";

    [Fact]
    public async Task Recording_an_involvement_makes_the_team_visible_with_consent_and_withdrawing_consent_hides_it_at_the_next_read()
    {
        var client = await server.GivenNewClientAsync("Ashdown");
        var socialWorker = server.As(DemoPartnership.SocialWorker);
        var officer = server.As(DemoPartnership.PoliceOfficer);
        (await socialWorker.PostAsJsonAsync(Involvements(client), Involvement())).StatusCode.ShouldBe(HttpStatusCode.Created);
        (await officer.GetAsync(Team(client))).StatusCode.ShouldBe(HttpStatusCode.NotFound);

        var recorded = await officer.PostAsJsonAsync(Involvements(client), Involvement("officer in the case"));
        recorded.StatusCode.ShouldBe(HttpStatusCode.Created, await recorded.Content.ReadAsStringAsync());
        recorded.Headers.ETag!.Tag.ShouldBe("\"2\"");
        (await TeamPractitioners(officer, client)).ShouldBe([DemoPartnership.PoliceOfficer.Id.Value], "no consent yet: only the officer's own");

        var consent = await socialWorker.PostAsJsonAsync($"/api/v1/clients/{client.Value}/consents", new
        {
            scope = new { sector = "police" }, categories = new { includesGeneral = true, named = Array.Empty<string>() },
            givenBy = "personWithParentalResponsibility", evidence = new { kind = "written", reference = "form 12" },
        });
        consent.StatusCode.ShouldBe(HttpStatusCode.Created, await consent.Content.ReadAsStringAsync());
        (await TeamPractitioners(officer, client)).ShouldBe([DemoPartnership.SocialWorker.Id.Value, DemoPartnership.PoliceOfficer.Id.Value], ignoreOrder: true);

        var consentId = (await consent.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        (await socialWorker.PostAsync($"/api/v1/clients/{client.Value}/consents/{consentId}/withdraw", null)).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await TeamPractitioners(officer, client)).ShouldBe([DemoPartnership.PoliceOfficer.Id.Value]);
    }

    [Fact]
    public async Task Ending_your_involvement_ends_the_relationship_and_someone_who_cannot_see_an_involvement_gets_404_for_it()
    {
        var client = await server.GivenNewClientAsync("Bramble");
        var teacher = server.As(DemoPartnership.Teacher);
        var recorded = await teacher.PostAsJsonAsync(Involvements(client), Involvement("designated safeguarding lead"));
        var involvement = (await recorded.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("involvementId").GetGuid();

        var stranger = await server.As(DemoPartnership.RefugeWorker).PostAsJsonAsync($"{Involvements(client)}/{involvement}/end", new { });
        stranger.StatusCode.ShouldBe(HttpStatusCode.NotFound);

        var ended = await teacher.PostAsJsonAsync($"{Involvements(client)}/{involvement}/end", new { });
        ended.StatusCode.ShouldBe(HttpStatusCode.OK, await ended.Content.ReadAsStringAsync());
        var again = await teacher.PostAsJsonAsync($"{Involvements(client)}/{involvement}/end", new { });
        again.StatusCode.ShouldBe(HttpStatusCode.Conflict);
        (await again.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("status").GetInt32().ShouldBe(409);
    }

    [Fact]
    public async Task A_stale_If_Match_is_412_and_a_current_one_succeeds()
    {
        var client = await server.GivenNewClientAsync("Cotswold");
        var worker = server.As(DemoPartnership.SocialWorker);
        var first = await worker.PostAsJsonAsync(Involvements(client), Involvement());
        var etag = first.Headers.ETag!.Tag;
        var involvement = (await first.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("involvementId").GetGuid();

        var change = new HttpRequestMessage(HttpMethod.Patch, $"{Involvements(client)}/{involvement}") { Content = JsonContent.Create(new { role = "senior social worker" }) };
        change.Headers.TryAddWithoutValidation("If-Match", etag);
        var changed = await worker.SendAsync(change);
        changed.StatusCode.ShouldBe(HttpStatusCode.OK, await changed.Content.ReadAsStringAsync());
        changed.Headers.ETag!.Tag.ShouldBe("\"2\"");

        var stale = new HttpRequestMessage(HttpMethod.Patch, $"{Involvements(client)}/{involvement}") { Content = JsonContent.Create(new { role = "team manager" }) };
        stale.Headers.TryAddWithoutValidation("If-Match", etag);
        var refused = await worker.SendAsync(stale);
        refused.StatusCode.ShouldBe(HttpStatusCode.PreconditionFailed);
        refused.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json");
    }

    [Fact]
    public async Task Concurrent_conflicting_writes_each_succeed_or_get_409_and_none_is_lost()
    {
        var client = await server.GivenNewClientAsync("Dunmore");
        await server.As(DemoPartnership.SocialWorker).PostAsJsonAsync(Involvements(client), Involvement());
        var writers = DemoPartnership.Everyone.Where(s => s != DemoPartnership.SocialWorker && s.Roles.HasFlag(Roles.Practitioner)).ToList();

        // The race is made certain, not hoped for: the test holds the client's stream lock (the one every append takes after
        // reading the stream) until at least two writers wait on it, each having read the same version. Only one can win.
        HttpResponseMessage[] answers;
        await using (var connection = new NpgsqlConnection(LocalServers.PostgresOwner))
        {
            await connection.OpenAsync();
            await using var holding = await connection.BeginTransactionAsync();
            // Marten's expected-version append locks the stream's row (UseExclusiveLockOnConcurrentAppends): hold it.
            await using (var take = new NpgsqlCommand($"SELECT 1 FROM \"{server.Schema}\".mt_streams WHERE id = @client FOR UPDATE", connection, holding))
            {
                take.Parameters.AddWithValue("client", client.Value);
                await take.ExecuteNonQueryAsync();
            }
            var lockKey = server.Schema;
            var posting = Task.WhenAll(writers.Select(staff => server.As(staff).PostAsJsonAsync(Involvements(client), Involvement())));
            await Eventually.Within(TimeSpan.FromSeconds(120), () => WaitersAsync(lockKey), waiting => waiting >= 2 || posting.IsCompleted,
                "two writers of the client waiting on its stream lock");
            posting.IsCompleted.ShouldBeFalse("every writer finished while the stream lock was held");
            await holding.CommitAsync();
            answers = await posting;
        }

        answers.ShouldAllBe(a => a.StatusCode == HttpStatusCode.Created || a.StatusCode == HttpStatusCode.Conflict);
        answers.Count(a => a.StatusCode == HttpStatusCode.Conflict).ShouldBeGreaterThanOrEqualTo(1, "two writers raced: one of them lost");
        answers.Count(a => a.StatusCode == HttpStatusCode.Created).ShouldBeGreaterThanOrEqualTo(1, "one of the racing writers won");
        var conflict = answers.First(a => a.StatusCode == HttpStatusCode.Conflict);
        conflict.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json");
        (await conflict.Content.ReadAsStringAsync()).ShouldContain("changed the client's record at the same moment");
        using var admin = server.As(DemoPartnership.PartnershipAdmin);
        var export = await (await admin.GetAsync($"/api/v1/clients/{client.Value}/export?purpose=test")).Content.ReadFromJsonAsync<JsonElement>();
        export.GetProperty("involvements").GetArrayLength().ShouldBe(1 + answers.Count(a => a.StatusCode == HttpStatusCode.Created));
    }

    /// <summary>How many of the schema's appends wait on a lock (the stream row the test holds).</summary>
    private static async Task<long> WaitersAsync(string schema)
    {
        await using var connection = new NpgsqlConnection(LocalServers.PostgresSuperuser);
        await connection.OpenAsync();
        // Appends of this schema waiting on a lock: Marten's append statement names the schema's append function.
        await using var command = new NpgsqlCommand(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%' || @schema || '.mt_quick_append_events%'", connection);
        command.Parameters.AddWithValue("schema", schema);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    [Fact]
    public async Task A_retry_with_the_same_Idempotency_Key_creates_once_and_the_same_key_with_another_body_is_422()
    {
        var worker = server.As(DemoPartnership.SocialWorker);
        HttpRequestMessage Register(string familyName)
        {
            var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/clients")
            {
                Content = JsonContent.Create(new { givenNames = "Ivy", familyName, dateOfBirth = "2014-02-03", candidatesSeen = true }),
            };
            request.Headers.Add("Idempotency-Key", "register-ivy-1");
            return request;
        }

        var first = await worker.SendAsync(Register("Evergreen"));
        var retry = await worker.SendAsync(Register("Evergreen"));

        first.StatusCode.ShouldBe(HttpStatusCode.Created);
        retry.StatusCode.ShouldBe(HttpStatusCode.Created);
        (await retry.Content.ReadAsStringAsync()).ShouldBe(await first.Content.ReadAsStringAsync());
        retry.Headers.Location.ShouldBe(first.Headers.Location);
        var search = await worker.GetAsync("/api/v1/clients?familyName=Evergreen&dateOfBirth=2014-02-03&purpose=checking");
        (await search.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("matches").GetArrayLength().ShouldBe(1);

        var other = await worker.SendAsync(Register("Evergreen-Smith"));
        other.StatusCode.ShouldBe(HttpStatusCode.UnprocessableEntity);
        other.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json");
    }

    [Fact]
    public async Task Registering_someone_who_looks_registered_is_409_saying_only_that_a_likely_match_exists_until_they_have_been_seen()
    {
        var worker = server.As(DemoPartnership.SocialWorker);
        var likely = await worker.PostAsJsonAsync("/api/v1/clients", new { givenNames = "Elle", familyName = "Marsh Whitfield", dateOfBirth = "2011-04-17" });
        likely.StatusCode.ShouldBe(HttpStatusCode.Conflict);
        var problem = await likely.Content.ReadFromJsonAsync<JsonElement>();
        problem.GetProperty("detail").GetString().ShouldStartWith("a likely match exists: search for the client, stating a purpose");
        problem.GetProperty("search").GetString().ShouldBe("/api/v1/clients");
        problem.TryGetProperty("candidates", out _).ShouldBeFalse("rule 12: the likely match's identity is never returned");
        var raw = await likely.Content.ReadAsStringAsync();
        foreach (var identity in new[] { DemoPartnership.Ellie.Value.ToString(), "Ellie", "Marsh", "yearOfBirth", "WX1" }) raw.ShouldNotContain(identity, Case.Insensitive);

        var seen = await worker.PostAsJsonAsync("/api/v1/clients", new { givenNames = "Elle", familyName = "Marsh Whitfield", dateOfBirth = "2011-04-17", candidatesSeen = true });
        seen.StatusCode.ShouldBe(HttpStatusCode.Created);
        var sameNhs = await worker.PostAsJsonAsync("/api/v1/clients", new { givenNames = "E", familyName = "M", dateOfBirth = "2011-04-17", nhsNumber = "9434765919", candidatesSeen = true });
        sameNhs.StatusCode.ShouldBe(HttpStatusCode.Conflict, "an NHS number identifies one person");
        (await sameNhs.Content.ReadAsStringAsync()).ShouldNotContain("Ellie", Case.Insensitive);
    }

    [Theory]
    [InlineData("POST", "/api/v1/clients", "{\"givenNames\": \"A\", ", "body")]
    [InlineData("POST", "/api/v1/clients", "{\"givenNames\": \"A\", \"familyName\": \"B\", \"dateOfBirth\": 17}", "dateOfBirth")]
    [InlineData("POST", "/api/v1/clients", "{\"givenNames\": \"A\", \"familyName\": \"B\", \"dateOfBirth\": \"2011-04-17\", \"nhsNumber\": \"9434765918\"}", "nhsNumber")]
    [InlineData("POST", "/api/v1/clients", "{\"givenNames\": \"A\", \"familyName\": \"B\", \"dateOfBirth\": \"2011-04-17\", \"candidatesSeen\": \"yes\"}", "candidatesSeen")]
    [InlineData("POST", "/api/v1/clients/not-a-guid/involvements", "{}", "clientId")]
    [InlineData("POST", "/api/v1/clients/{ellie}/involvements", "{\"role\": \"x\", \"contact\": {\"phone\": 5}}", "contact.phone")]
    [InlineData("POST", "/api/v1/clients/{ellie}/involvements", "{\"role\": \"x\", \"start\": \"2020-01-01\", \"category\": \"astrology\", \"contact\": {\"phone\": \"1\"}}", "category")]
    [InlineData("POST", "/api/v1/clients/{ellie}/consents", "{\"scope\": {\"sector\": \"pirates\"}}", "scope.sector")]
    [InlineData("GET", "/api/v1/clients?familyName=B&dateOfBirth=17/04/2011&purpose=x", null, "dateOfBirth")]
    [InlineData("GET", "/api/v1/clients/{ellie}/audit?cursor=nonsense", null, "cursor")]
    public async Task Malformed_input_is_a_400_problem_naming_the_field(string method, string path, string? json, string field)
    {
        var request = new HttpRequestMessage(new HttpMethod(method), path.Replace("{ellie}", DemoPartnership.Ellie.Value.ToString(), StringComparison.Ordinal));
        if (json is not null) request.Content = new StringContent(json, Encoding.UTF8, "application/json");

        var response = await server.As(DemoPartnership.SocialWorker).SendAsync(request);

        var body = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest, body);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json");
        JsonDocument.Parse(body).RootElement.GetProperty("errors").EnumerateObject().Select(e => e.Name).ShouldContain(field, body);
    }

    [Fact]
    public async Task An_oversize_body_and_unknown_ids_are_4xx_problems_never_5xx()
    {
        var worker = server.As(DemoPartnership.SocialWorker);
        var huge = new StringContent("{\"givenNames\": \"" + new string('a', 70_000) + "\"}", Encoding.UTF8, "application/json");
        var oversize = await worker.PostAsync("/api/v1/clients", huge);
        oversize.StatusCode.ShouldBe(HttpStatusCode.RequestEntityTooLarge);
        oversize.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json");

        foreach (var path in new[] { $"/api/v1/clients/{Guid.NewGuid()}/involvements", $"/api/v1/clients/{DemoPartnership.Ellie.Value}/involvements/{Guid.NewGuid()}/end",
                     $"/api/v1/clients/{DemoPartnership.Ellie.Value}/consents/{Guid.NewGuid()}/withdraw" })
        {
            var response = await worker.PostAsJsonAsync(path, Involvement());
            response.StatusCode.ShouldBe(HttpStatusCode.NotFound, path);
            response.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json");
        }
        var noBody = await worker.PostAsync("/api/v1/clients", null);
        ((int)noBody.StatusCode).ShouldBeInRange(400, 499);
    }

    [Fact]
    public async Task The_team_carries_an_ETag_of_what_this_viewer_sees_and_an_unchanged_view_is_304()
    {
        var client = await server.GivenNewClientAsync("Larkspur");
        var socialWorker = server.As(DemoPartnership.SocialWorker);
        var officer = server.As(DemoPartnership.PoliceOfficer);
        (await socialWorker.PostAsJsonAsync(Involvements(client), Involvement())).StatusCode.ShouldBe(HttpStatusCode.Created);
        (await officer.PostAsJsonAsync(Involvements(client), Involvement("officer in the case"))).StatusCode.ShouldBe(HttpStatusCode.Created);

        var first = await officer.GetAsync(Team(client));
        var tag = first.Headers.ETag!.ToString();
        first.Headers.CacheControl!.NoStore.ShouldBeTrue();
        (await socialWorker.GetAsync(Team(client))).Headers.ETag!.ToString().ShouldNotBe(tag, "another viewer sees another team");

        var again = new HttpRequestMessage(HttpMethod.Get, Team(client));
        again.Headers.TryAddWithoutValidation("If-None-Match", tag);
        var unchanged = await officer.SendAsync(again);
        unchanged.StatusCode.ShouldBe(HttpStatusCode.NotModified);
        (await unchanged.Content.ReadAsByteArrayAsync()).ShouldBeEmpty();

        var consent = await socialWorker.PostAsJsonAsync($"/api/v1/clients/{client.Value}/consents", new
        {
            scope = new { sector = "police" }, categories = new { includesGeneral = true, named = Array.Empty<string>() },
            givenBy = "client", evidence = new { kind = "verbal", reference = "at the meeting" },
        });
        consent.StatusCode.ShouldBe(HttpStatusCode.Created);
        var afterConsent = new HttpRequestMessage(HttpMethod.Get, Team(client));
        afterConsent.Headers.TryAddWithoutValidation("If-None-Match", tag);
        var changed = await officer.SendAsync(afterConsent);
        changed.StatusCode.ShouldBe(HttpStatusCode.OK, "the officer now sees the social worker too");
        changed.Headers.ETag!.ToString().ShouldNotBe(tag);
    }

    private static async Task<Guid[]> TeamPractitioners(HttpClient viewer, ClientId client)
    {
        var response = await viewer.GetAsync(Team(client));
        response.StatusCode.ShouldBe(HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        return [.. (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("involvements").EnumerateArray().Select(i => i.GetProperty("practitionerId").GetGuid())];
    }
}
