using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Npgsql;
using Patchwork.Core;
using Patchwork.Core.Access;
using Patchwork.Server.Demo;
using Patchwork.Testing;

namespace Patchwork.Server.Tests.Api;

/// <summary>
/// The subject access export and "who viewed" through the one policy (DESIGN.md §3, rules 10 and 11), on the demo county:
/// everything in full for a partnership admin only; a DPO exports what their organisation holds and may see, with a
/// stated purpose; recording an involvement cannot widen an export; audit entries shown to anyone else say allowed or
/// refused and the rule family, never what was hidden or why.
/// </summary>
public sealed class SubjectAccessTests(ApiServer server) : IClassFixture<ApiServer>
{
    private const string Purpose = "subject%20access%20request%20from%20the%20client";
    private static readonly string[] Internals = ["Hidden", "Masked", .. Enum.GetNames<HiddenBecause>()];

    [Fact]
    public async Task A_DPO_of_an_organisation_with_no_involvement_gets_404_for_the_export_and_who_viewed()
    {
        var refugeDpo = server.As(PractitionerId.New(), DemoPartnership.Refuge.Id, Roles.DataProtectionOfficer);
        var socialCareDpo = server.As(DemoPartnership.SocialCareDpo);
        foreach (var (dpo, client) in new[] { (refugeDpo, DemoPartnership.Ellie), (socialCareDpo, DemoPartnership.Jayden) })
        {
            using var export = await dpo.GetAsync($"/api/v1/clients/{client.Value}/export?purpose={Purpose}");
            export.StatusCode.ShouldBe(HttpStatusCode.NotFound, await export.Content.ReadAsStringAsync());
            using var log = await dpo.GetAsync($"/api/v1/clients/{client.Value}/audit");
            log.StatusCode.ShouldBe(HttpStatusCode.NotFound, await log.Content.ReadAsStringAsync());
        }
    }

    [Fact]
    public async Task A_DPO_only_account_cannot_record_an_involvement_and_nothing_is_appended()
    {
        var jayden = DemoPartnership.Jayden.Value;
        var before = await EventsAsync(jayden);
        var dpo = server.As(DemoPartnership.SocialCareDpo);

        using var recorded = await dpo.PostAsJsonAsync($"/api/v1/clients/{jayden}/involvements", Involvement());

        var body = await recorded.Content.ReadAsStringAsync();
        recorded.StatusCode.ShouldBe(HttpStatusCode.Forbidden, body);
        recorded.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json");
        (await EventsAsync(jayden)).ShouldBe(before, "the client's stream did not move");
        (await MatrixTable.NewestAuditAsync(server.Schema)).Outcome.ShouldBe("denied");
        // And so the refuge's involvement and the NHS number stay out of reach: the export is still a 404.
        using var export = await dpo.GetAsync($"/api/v1/clients/{jayden}/export?purpose={Purpose}");
        export.StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }

    [Theory]
    [InlineData("")]
    [InlineData("?purpose=")]
    [InlineData("?purpose=%20%20")]
    public async Task An_export_without_a_purpose_is_a_400_naming_purpose(string query)
    {
        using var response = await server.As(DemoPartnership.HealthDpo).GetAsync($"/api/v1/clients/{DemoPartnership.Ellie.Value}/export{query}");

        var body = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest, body);
        JsonDocument.Parse(body).RootElement.GetProperty("errors").TryGetProperty("purpose", out _).ShouldBeTrue(body);
    }

    [Fact]
    public async Task A_Health_DPOs_export_of_Ellie_holds_Healths_involvement_and_nothing_the_policy_hides_from_Health()
    {
        var (export, json) = await ExportAsync(server.As(DemoPartnership.HealthDpo), DemoPartnership.Ellie.Value);

        Organisations(export).ShouldBe([DemoPartnership.Health.Id.Value]);
        export.GetProperty("identity").GetProperty("nhsNumber").GetString().ShouldBe("9434765919");
        export.GetProperty("masked").GetArrayLength().ShouldBe(0);
        export.GetProperty("consents").GetArrayLength().ShouldBe(0, "neither of Ellie's consents names Health or was recorded by it");
        foreach (var other in new[] { DemoPartnership.SocialWorker, DemoPartnership.PoliceOfficer, DemoPartnership.Teacher })
        {
            json.ShouldNotContain(other.Contact.Phone!);
            json.ShouldNotContain(other.Id.Value.ToString());
        }
        export.GetProperty("audit").EnumerateArray().ShouldAllBe(entry => OwnOrDisclosing(entry, DemoPartnership.Health));
        ShowsNoInternals(export.GetProperty("audit"));
    }

    [Fact]
    public async Task A_social_care_DPOs_export_of_Ellie_shows_the_sexual_health_involvement_only_as_masked()
    {
        var (export, json) = await ExportAsync(server.As(DemoPartnership.SocialCareDpo), DemoPartnership.Ellie.Value);

        Organisations(export).ShouldBe([DemoPartnership.SocialCare.Id.Value]);
        var masked = export.GetProperty("masked").EnumerateArray().ToList();
        masked.Count.ShouldBe(1);
        masked[0].EnumerateObject().Select(p => p.Name).Order().ShouldBe(["description", "handle"]);
        json.ShouldNotContain(DemoPartnership.SexualHealthNurse.Contact.Phone!);
        json.ShouldNotContain(DemoPartnership.SexualHealthNurse.Id.Value.ToString());
        json.ShouldNotContain(DemoPartnership.Health.Id.Value.ToString());
        json.ShouldNotContain("sexual health", Case.Insensitive);
        ShowsNoInternals(export.GetProperty("audit"));
    }

    [Fact]
    public async Task A_partnership_admins_export_holds_everything_with_the_audit_in_full()
    {
        using (var refused = await server.As(DemoPartnership.RefugeWorker).GetAsync($"/api/v1/clients/{DemoPartnership.Ellie.Value}/team?purpose=checking"))
            refused.StatusCode.ShouldBe(HttpStatusCode.NotFound);

        var (export, json) = await ExportAsync(server.As(DemoPartnership.PartnershipAdmin), DemoPartnership.Ellie.Value);

        Organisations(export).ShouldBe(new[] { DemoPartnership.SocialCare, DemoPartnership.Police, DemoPartnership.School, DemoPartnership.Health }
            .Select(a => a.Id.Value).Order());
        json.ShouldContain(DemoPartnership.SexualHealthNurse.Contact.Phone!);
        export.GetProperty("consents").GetArrayLength().ShouldBe(2);
        export.GetProperty("identity").GetProperty("familyName").GetString().ShouldBe("Marsh-Whitfield");
        var rules = export.GetProperty("audit").EnumerateArray().Select(e => e.GetProperty("rule").GetString() ?? "").ToList();
        rules.ShouldContain(rule => rule.Contains(nameof(HiddenBecause.NoLegitimateRelationship), StringComparison.Ordinal), "the admin reads denials' reasons");
    }

    [Fact]
    public async Task The_organisations_whose_involvements_an_export_holds_find_it_in_who_viewed()
    {
        var client = await GivenTeamAsync("Disclosed", DemoPartnership.SocialWorker, DemoPartnership.SchoolNurse);
        await ExportAsync(server.As(DemoPartnership.PartnershipAdmin), client);

        var entries = await WhoViewedAsync(server.As(DemoPartnership.HealthDpo), client);

        entries.ShouldContain(e => e.GetProperty("action").GetString() == "client.export"
            && e.GetProperty("organisationId").GetGuid() == DemoPartnership.SocialCare.Id.Value
            && e.GetProperty("rule").GetString() == "SubjectAccess");
        var stored = await StoredAsync(client, "client.export");
        stored.Disclosed.ShouldBe([DemoPartnership.Health.Id.Value]);
        stored.Purpose.ShouldNotBeNullOrWhiteSpace();
    }

    [Fact]
    public async Task A_break_glass_is_in_who_viewed_for_the_DPOs_of_the_organisations_whose_involvements_it_opens()
    {
        var client = await GivenTeamAsync("Glass", DemoPartnership.SchoolNurse);
        using (var granted = await server.As(DemoPartnership.PoliceSergeant).PostAsJsonAsync($"/api/v1/clients/{client}/break-glass",
            new { justification = "child missing overnight", durationMinutes = 60 }))
            granted.StatusCode.ShouldBe(HttpStatusCode.Created, await granted.Content.ReadAsStringAsync());

        var entries = await WhoViewedAsync(server.As(DemoPartnership.HealthDpo), client);

        entries.ShouldContain(e => e.GetProperty("action").GetString() == "break-glass.grant"
            && e.GetProperty("organisationId").GetGuid() == DemoPartnership.Police.Id.Value);
        (await StoredAsync(client, "break-glass.grant")).Disclosed.ShouldBe([DemoPartnership.Health.Id.Value]);
    }

    [Fact]
    public async Task Recording_an_involvement_just_before_an_export_does_not_widen_it()
    {
        // The police work with the client, who consented to sharing general involvements with social care.
        var client = await GivenTeamAsync("Widening", DemoPartnership.PoliceOfficer);
        using (var consent = await server.As(DemoPartnership.PoliceOfficer).PostAsJsonAsync($"/api/v1/clients/{client}/consents", new
        {
            scope = new { sector = "socialCare" },
            categories = new { includesGeneral = true, named = Array.Empty<string>() },
            givenBy = "client",
            evidence = new { kind = "verbal", reference = "at interview" },
        }))
            consent.StatusCode.ShouldBe(HttpStatusCode.Created, await consent.Content.ReadAsStringAsync());
        // A DPO who is also a practitioner joins the team a moment before exporting.
        var dpo = server.As(PractitionerId.New(), DemoPartnership.SocialCare.Id, Roles.Practitioner | Roles.DataProtectionOfficer);
        using (var joined = await dpo.PostAsJsonAsync($"/api/v1/clients/{client}/involvements", Involvement()))
            joined.StatusCode.ShouldBe(HttpStatusCode.Created, await joined.Content.ReadAsStringAsync());

        var (alone, _) = await ExportAsync(dpo, client);
        Organisations(alone).ShouldBe([DemoPartnership.SocialCare.Id.Value], "the DPO's own involvement widens nothing");

        // Once a colleague works with the client, the organisation may see the police's involvement, and so may its DPO.
        using (var colleague = await server.As(DemoPartnership.SocialWorker).PostAsJsonAsync($"/api/v1/clients/{client}/involvements", Involvement()))
            colleague.StatusCode.ShouldBe(HttpStatusCode.Created);
        var (withColleague, _) = await ExportAsync(dpo, client);
        Organisations(withColleague).ShouldBe(new[] { DemoPartnership.SocialCare.Id.Value, DemoPartnership.Police.Id.Value }.Order());
    }

    [Fact]
    public async Task A_team_members_who_viewed_shows_no_hidden_or_masked_counts()
    {
        var worker = server.As(DemoPartnership.SocialWorker);
        using (var team = await worker.GetAsync($"/api/v1/clients/{DemoPartnership.Ellie.Value}/team?purpose=visit"))
            team.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await MatrixTable.NewestAuditAsync(server.Schema)).Rule.ShouldBe("OwnOrganisation:1,Masked:1,Hidden:2", "the stored entry keeps the policy's detail");
        using (var team = await server.As(DemoPartnership.SexualHealthNurse).GetAsync($"/api/v1/clients/{DemoPartnership.Ellie.Value}/team?purpose=clinic"))
            team.StatusCode.ShouldBe(HttpStatusCode.OK);

        foreach (var (member, own) in new[] { (worker, DemoPartnership.SocialCare), (server.As(DemoPartnership.SexualHealthNurse), DemoPartnership.Health) })
        {
            var entries = await WhoViewedAsync(member, DemoPartnership.Ellie.Value);
            entries.ShouldContain(e => e.GetProperty("action").GetString() == "client.team.read" && e.GetProperty("rule").GetString() == "OwnOrganisation");
            entries.ShouldAllBe(e => OwnOrDisclosing(e, own));
            ShowsNoInternals(entries);
        }
    }

    [Fact]
    public async Task A_denied_reads_reasons_are_not_shown_after_the_reader_joins()
    {
        var client = await GivenTeamAsync("Joiner", DemoPartnership.SocialWorker, DemoPartnership.PoliceOfficer);
        var refuge = server.As(DemoPartnership.RefugeWorker);
        using (var refused = await refuge.GetAsync($"/api/v1/clients/{client}/team?purpose=looking"))
            refused.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await StoredAsync(client, "client.team.read")).Rule.ShouldContain(nameof(HiddenBecause.NoLegitimateRelationship));
        using (var joined = await refuge.PostAsJsonAsync($"/api/v1/clients/{client}/involvements", Involvement()))
            joined.StatusCode.ShouldBe(HttpStatusCode.Created);

        var entries = await WhoViewedAsync(refuge, client);

        entries.ShouldContain(e => e.GetProperty("action").GetString() == "client.team.read" && e.GetProperty("outcome").GetString() == "denied"
            && e.GetProperty("rule").GetString() == "Refused");
        ShowsNoInternals(entries);
        // The partnership admin, for the joint controllers, still reads why.
        (await WhoViewedAsync(server.As(DemoPartnership.PartnershipAdmin), client))
            .ShouldContain(e => (e.GetProperty("rule").GetString() ?? "").Contains(nameof(HiddenBecause.NoLegitimateRelationship), StringComparison.Ordinal));
    }

    [Fact]
    public async Task Who_viewed_needs_the_practitioners_own_involvement_in_their_own_organisation()
    {
        // An account carrying the sexual health nurse's id inside another organisation is not on Ellie's team.
        var impostor = server.As(DemoPartnership.SexualHealthNurse.Id, DemoPartnership.SocialCare.Id, Roles.Practitioner);

        using var log = await impostor.GetAsync($"/api/v1/clients/{DemoPartnership.Ellie.Value}/audit");

        log.StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }

    private static object Involvement() => new
    {
        role = "worker",
        category = "general",
        start = DateOnly.FromDateTime(DateTime.UtcNow.AddDays(-1)).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        contact = new { phone = "01632 960555" },
    };

    /// <summary>An entry of the organisation's own staff, or an export that held its involvements (another test may have made one).</summary>
    private static bool OwnOrDisclosing(JsonElement entry, DemoPartnership.Agency organisation) =>
        entry.GetProperty("organisationId").GetGuid() == organisation.Id.Value || entry.GetProperty("action").GetString() == "client.export";

    private static List<Guid> Organisations(JsonElement export) =>
        [.. export.GetProperty("involvements").EnumerateArray().Select(i => i.GetProperty("organisationId").GetGuid()).Distinct().Order()];

    private static void ShowsNoInternals(IEnumerable<JsonElement> entries)
    {
        foreach (var entry in entries)
        {
            var rule = entry.GetProperty("rule").GetString() ?? "";
            Internals.ShouldNotContain(word => rule.Contains(word, StringComparison.Ordinal), $"audit entry shows '{rule}'");
            rule.ShouldNotContain(":");
        }
    }

    private static void ShowsNoInternals(JsonElement entries) => ShowsNoInternals(entries.EnumerateArray());

    private async Task<Guid> GivenTeamAsync(string familyName, params DemoPartnership.Staff[] team)
    {
        var client = (await server.GivenNewClientAsync(familyName + Guid.NewGuid().ToString("N")[..8])).Value;
        foreach (var staff in team)
        {
            using var recorded = await server.As(staff).PostAsJsonAsync($"/api/v1/clients/{client}/involvements", Involvement());
            recorded.StatusCode.ShouldBe(HttpStatusCode.Created, await recorded.Content.ReadAsStringAsync());
        }
        return client;
    }

    private static async Task<(JsonElement Export, string Json)> ExportAsync(HttpClient exporter, Guid client)
    {
        using var response = await exporter.GetAsync($"/api/v1/clients/{client}/export?purpose={Purpose}");
        var json = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(HttpStatusCode.OK, json);
        return (JsonDocument.Parse(json).RootElement, json);
    }

    private static async Task<List<JsonElement>> WhoViewedAsync(HttpClient reader, Guid client)
    {
        using var response = await reader.GetAsync($"/api/v1/clients/{client}/audit?limit=200");
        var json = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(HttpStatusCode.OK, json);
        return [.. JsonDocument.Parse(json).RootElement.GetProperty("entries").EnumerateArray()];
    }

    /// <summary>The newest stored entry of this action about the client, as the database holds it.</summary>
    private async Task<(string Rule, string? Purpose, Guid[] Disclosed)> StoredAsync(Guid client, string action)
    {
        await using var connection = new NpgsqlConnection(LocalServers.PostgresOwner);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            $"SELECT rule, purpose, disclosed_organisations FROM \"{server.Schema}\".audit_entries WHERE client_id = $1 AND action = $2 ORDER BY id DESC LIMIT 1",
            connection)
        {
            Parameters = { new() { Value = client }, new() { Value = action } },
        };
        await using var row = await command.ExecuteReaderAsync();
        (await row.ReadAsync()).ShouldBeTrue();
        return (row.GetString(0), row.IsDBNull(1) ? null : row.GetString(1), row.IsDBNull(2) ? [] : row.GetFieldValue<Guid[]>(2));
    }

    private async Task<long> EventsAsync(Guid client)
    {
        await using var connection = new NpgsqlConnection(LocalServers.PostgresOwner);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"SELECT count(*) FROM \"{server.Schema}\".mt_events WHERE stream_id = $1", connection)
        {
            Parameters = { new() { Value = client } },
        };
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
