using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Npgsql;
using Patchwork.Core;
using Patchwork.Server.Demo;
using Patchwork.Server.Tokens;
using Patchwork.Testing;

namespace Patchwork.Server.Tests.Api;

/// <summary>
/// Issue 18 points 6 and 9: a team read states its purpose, recorded in its audit entry; registering someone who looks
/// already registered says only that a likely match exists (rule 12), is audited against the match and is rate limited.
/// </summary>
public sealed class ReadPurposeAndLookupTests(ApiServer server) : IClassFixture<ApiServer>
{
    private static readonly string EllieTeam = $"/api/v1/clients/{DemoPartnership.Ellie.Value}/team";

    [Theory]
    [InlineData("")]
    [InlineData("?purpose=")]
    [InlineData("?purpose=%20%20")]
    public async Task A_team_read_without_a_purpose_is_400_naming_purpose_and_reads_nothing(string query)
    {
        var before = await server.AuditCountAsync(DemoPartnership.Ellie);

        var response = await server.As(DemoPartnership.PoliceOfficer).GetAsync(EllieTeam + query);

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json");
        (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").GetProperty("purpose").GetArrayLength().ShouldBe(1);
        (await response.Content.ReadAsStringAsync()).ShouldNotContain(DemoPartnership.SocialWorker.Contact.Phone!);
        (await server.AuditCountAsync(DemoPartnership.Ellie)).ShouldBe(before);
    }

    [Fact]
    public async Task A_team_read_with_a_purpose_longer_than_a_search_allows_is_400_naming_purpose()
    {
        var response = await server.As(DemoPartnership.PoliceOfficer).GetAsync($"{EllieTeam}?purpose={new string('x', Patchwork.Server.Api.Clients.ClientReads.MaxPurposeLength + 1)}");

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").GetProperty("purpose").GetArrayLength().ShouldBe(1);
    }

    [Fact]
    public async Task A_team_read_records_its_purpose_in_its_audit_entry_allowed_or_denied()
    {
        var purpose = "strategy meeting " + Guid.NewGuid().ToString("N")[..8];
        (await server.As(DemoPartnership.PoliceOfficer).GetAsync($"{EllieTeam}?purpose={Uri.EscapeDataString(purpose)}")).StatusCode.ShouldBe(HttpStatusCode.OK);
        var refused = purpose + " (outsider)";
        (await server.As(DemoPartnership.RefugeWorker).GetAsync($"{EllieTeam}?purpose={Uri.EscapeDataString(refused)}")).StatusCode.ShouldBe(HttpStatusCode.NotFound);

        var entries = await EntriesAsync(DemoPartnership.Ellie, "client.team.read");
        entries.ShouldContain(e => e.Purpose == purpose && e.Outcome == "allowed" && e.Practitioner == DemoPartnership.PoliceOfficer.Id.Value);
        entries.ShouldContain(e => e.Purpose == refused && e.Outcome == "denied" && e.Practitioner == DemoPartnership.RefugeWorker.Id.Value);
        entries.ShouldAllBe(e => !string.IsNullOrWhiteSpace(e.Purpose), "every team read names its purpose");
    }

    [Fact]
    public async Task A_likely_duplicate_is_audited_against_the_match_so_who_viewed_shows_it()
    {
        var before = (await EntriesAsync(DemoPartnership.Ellie, "client.register")).Count;

        var likely = await server.As(DemoPartnership.PoliceOfficer).PostAsJsonAsync("/api/v1/clients",
            new { givenNames = "Someone", familyName = "Else", dateOfBirth = "2010-01-01", nhsNumber = "9434765919" });

        likely.StatusCode.ShouldBe(HttpStatusCode.Conflict);
        var entries = await EntriesAsync(DemoPartnership.Ellie, "client.register");
        entries.Count.ShouldBe(before + 1);
        entries[0].Practitioner.ShouldBe(DemoPartnership.PoliceOfficer.Id.Value);
        entries[0].Outcome.ShouldBe("denied");
        entries[0].Rule.ShouldBe("LikelyDuplicate");
    }

    [Fact]
    public async Task A_partner_registers_with_the_involvements_scope_alone_and_a_likely_duplicate_tells_it_no_identity()
    {
        var writer = await server.AsPartnerOf(DemoPartnership.Police.Id, PartnerScopes.InvolvementsWrite);
        var likely = await writer.PostAsJsonAsync("/api/v1/clients", new { givenNames = "E", familyName = "M", dateOfBirth = "2011-04-17", nhsNumber = "9434765919" });

        likely.StatusCode.ShouldBe(HttpStatusCode.Conflict);
        var raw = await likely.Content.ReadAsStringAsync();
        foreach (var identity in new[] { DemoPartnership.Ellie.Value.ToString(), "Ellie", "Marsh", "WX1", "\"candidates\"", "yearOfBirth" }) raw.ShouldNotContain(identity, Case.Insensitive);
        (await EntriesAsync(DemoPartnership.Ellie, "client.register")).ShouldContain(e => e.Practitioner == null && e.Outcome == "denied");

        var reader = await server.AsPartnerOf(DemoPartnership.Police.Id, PartnerScopes.Read);
        (await reader.PostAsJsonAsync("/api/v1/clients", new { givenNames = "E", familyName = "M", dateOfBirth = "2011-04-17", nhsNumber = "9434765919" }))
            .StatusCode.ShouldBe(HttpStatusCode.Forbidden, "registering needs partner.involvements.write");
    }

    private async Task<List<(Guid? Practitioner, string Outcome, string? Rule, string? Purpose)>> EntriesAsync(ClientId client, string action)
    {
        await using var connection = new NpgsqlConnection(LocalServers.PostgresOwner);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            $"SELECT practitioner_id, outcome, rule, purpose FROM \"{server.Schema}\".audit_entries WHERE client_id = @client AND action = @action ORDER BY at DESC, id DESC",
            connection);
        command.Parameters.AddWithValue("client", client.Value);
        command.Parameters.AddWithValue("action", action);
        await using var reader = await command.ExecuteReaderAsync();
        var entries = new List<(Guid?, string, string?, string?)>();
        while (await reader.ReadAsync())
            entries.Add((reader.IsDBNull(0) ? null : reader.GetGuid(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetString(3)));
        return entries;
    }
}

/// <summary>A host allowing four lookups a minute per caller.</summary>
public sealed class TightLookupServer : ApiServer
{
    public TightLookupServer() => Settings["Api:SearchesPerMinute"] = "4";
}

/// <summary>Registering is a lookup of the register too: it shares search's limit per caller (rule 12).</summary>
public sealed class LookupRateLimitTests(TightLookupServer server) : IClassFixture<TightLookupServer>
{
    [Fact]
    public async Task Registrations_and_searches_share_one_limit_per_caller_and_the_next_is_429_with_Retry_After()
    {
        var officer = server.As(DemoPartnership.PoliceOfficer);
        var answers = new List<HttpStatusCode>();
        for (var i = 0; i < 4; i++)
            answers.Add((await officer.PostAsJsonAsync("/api/v1/clients", new { givenNames = "E", familyName = "M", dateOfBirth = "2011-04-17", nhsNumber = "9434765919" })).StatusCode);
        answers.ShouldAllBe(status => status == HttpStatusCode.Conflict);

        var register = await officer.PostAsJsonAsync("/api/v1/clients", new { givenNames = "E", familyName = "M", dateOfBirth = "2011-04-17", nhsNumber = "9434765919" });
        register.StatusCode.ShouldBe(HttpStatusCode.TooManyRequests);
        register.Headers.RetryAfter.ShouldNotBeNull();
        register.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json");
        (await officer.GetAsync("/api/v1/clients?nhsNumber=9434765919&purpose=checking")).StatusCode.ShouldBe(HttpStatusCode.TooManyRequests,
            "one limit for both lookups");

        (await server.As(DemoPartnership.Teacher).GetAsync("/api/v1/clients?nhsNumber=9434765919&purpose=checking")).StatusCode
            .ShouldBe(HttpStatusCode.OK, "another caller has a limit of their own");
    }
}
