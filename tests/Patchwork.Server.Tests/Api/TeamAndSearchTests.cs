using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Npgsql;
using Patchwork.Server.Demo;
using Patchwork.Server.Tokens;
using Patchwork.Testing;

namespace Patchwork.Server.Tests.Api;

/// <summary>Reading the demo county through the API: the team as the policy shows it, search, 404 for outsiders, and audit.</summary>
public sealed class TeamAndSearchTests(ApiServer server) : IClassFixture<ApiServer>
{
    private static readonly string EllieTeam = $"/api/v1/clients/{DemoPartnership.Ellie.Value}/team";

    /// <summary>Every team read states why (DESIGN.md §1 principle 3).</summary>
    private const string Reading = "?purpose=" + "strategy%20meeting";

    [Fact]
    public async Task The_police_officer_sees_the_social_worker_with_contact_details_and_the_sensitive_involvement_only_as_a_handle()
    {
        var response = await server.As(DemoPartnership.PoliceOfficer).GetAsync(EllieTeam + Reading);

        response.StatusCode.ShouldBe(HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        var team = await response.Content.ReadFromJsonAsync<JsonElement>();
        var socialWorker = team.GetProperty("involvements").EnumerateArray()
            .Single(i => i.GetProperty("practitionerId").GetGuid() == DemoPartnership.SocialWorker.Id.Value);
        socialWorker.GetProperty("contact").GetProperty("phone").GetString().ShouldBe(DemoPartnership.SocialWorker.Contact.Phone);
        socialWorker.GetProperty("contact").GetProperty("email").GetString().ShouldBe(DemoPartnership.SocialWorker.Contact.Email);
        socialWorker.GetProperty("rule").GetString().ShouldBe("teamMemberWithConsent");
        socialWorker.GetProperty("organisationName").GetString().ShouldBe(DemoPartnership.SocialCare.Name);
        team.GetProperty("involvements").EnumerateArray().ShouldNotContain(i => i.GetProperty("category").GetString() == "sexual health");

        var masked = team.GetProperty("masked").EnumerateArray().Single();
        masked.EnumerateObject().Select(p => p.Name).ShouldBe(["handle", "description"], ignoreOrder: true);
        var raw = await response.Content.ReadAsStringAsync();
        foreach (var leak in new[] { "sexual", DemoPartnership.SexualHealthNurse.Contact.Email!, DemoPartnership.Health.Id.Value.ToString(), DemoPartnership.SexualHealthNurse.Id.Value.ToString() })
            raw.ShouldNotContain(leak, Case.Insensitive);
    }

    [Fact]
    public async Task A_practitioner_with_no_involvement_gets_404_on_the_team_but_can_search_with_a_purpose_and_sees_only_the_match()
    {
        var refuge = server.As(DemoPartnership.RefugeWorker);

        var team = await refuge.GetAsync(EllieTeam + Reading);
        team.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        team.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json");
        var unknown = await refuge.GetAsync($"/api/v1/clients/{Guid.NewGuid()}/team{Reading}");
        (await unknown.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString()
            .ShouldBe((await team.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString(), "an outsider cannot tell a hidden client from none");

        var noPurpose = await refuge.GetAsync("/api/v1/clients?nhsNumber=9434765919");
        noPurpose.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await noPurpose.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").GetProperty("purpose").GetArrayLength().ShouldBe(1);

        var search = await refuge.GetAsync("/api/v1/clients?nhsNumber=943 476 5919&purpose=" + Uri.EscapeDataString("referral from the family's school"));
        search.StatusCode.ShouldBe(HttpStatusCode.OK);
        var match = (await search.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("matches").EnumerateArray().Single();
        match.EnumerateObject().Select(p => p.Name).ShouldBe(["clientId", "givenName", "familyName", "yearOfBirth", "postcodeDistrict"], ignoreOrder: true);
        match.GetProperty("clientId").GetGuid().ShouldBe(DemoPartnership.Ellie.Value);
        match.GetProperty("postcodeDistrict").GetString().ShouldBe("WX1");
        var byName = await refuge.GetAsync("/api/v1/clients?familyName=Marsh-Whitfield&dateOfBirth=2011-04-17&purpose=checking");
        (await byName.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("matches").GetArrayLength().ShouldBe(1);
    }

    [Fact]
    public async Task Every_client_data_request_leaves_exactly_one_audit_entry()
    {
        var officer = server.As(DemoPartnership.PoliceOfficer);
        var outsider = server.As(DemoPartnership.RefugeWorker);
        var requests = new Func<Task<HttpResponseMessage>>[]
        {
            () => officer.GetAsync(EllieTeam + "?purpose=strategy%20meeting"),
            () => outsider.GetAsync(EllieTeam + Reading),
            () => outsider.GetAsync("/api/v1/clients?postcode=WX1%202AB&purpose=home%20visit"),
            () => outsider.GetAsync("/api/v1/clients?nhsNumber=1234567890&purpose=typo"),
            () => officer.GetAsync($"/api/v1/clients/{Guid.NewGuid()}/team{Reading}"),
            () => outsider.PostAsJsonAsync($"/api/v1/clients/{DemoPartnership.Ellie.Value}/involvements/{Guid.NewGuid()}/end", new { }),
            () => server.As(DemoPartnership.SocialCareDpo).GetAsync($"/api/v1/clients/{DemoPartnership.Ellie.Value}/export?purpose=subject%20access%20request"),
            () => server.As(DemoPartnership.SocialCareDpo).GetAsync($"/api/v1/clients/{DemoPartnership.Ellie.Value}/audit"),
        };
        foreach (var request in requests)
        {
            var before = await server.AuditCountAsync();
            var response = await request();
            ((int)response.StatusCode).ShouldBeLessThan(500);
            (await server.AuditCountAsync()).ShouldBe(before + 1, $"{response.RequestMessage!.RequestUri} answered {(int)response.StatusCode}");
        }
    }

    [Fact]
    public async Task A_partner_of_the_same_organisation_sees_the_organisation_view_and_a_partner_of_another_gets_404()
    {
        var police = await server.AsPartnerOf(DemoPartnership.Police.Id, PartnerScopes.Read);
        var response = await police.GetAsync(EllieTeam + Reading);
        response.StatusCode.ShouldBe(HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        var team = await response.Content.ReadFromJsonAsync<JsonElement>();
        team.GetProperty("involvements").EnumerateArray().Select(i => i.GetProperty("practitionerId").GetGuid())
            .ShouldBe([DemoPartnership.Teacher.Id.Value, DemoPartnership.SocialWorker.Id.Value, DemoPartnership.PoliceOfficer.Id.Value], ignoreOrder: true);
        team.GetProperty("masked").GetArrayLength().ShouldBe(1);

        var stranger = await server.AsPartnerOf(Core.OrganisationId.New(), PartnerScopes.Read);
        (await stranger.GetAsync(EllieTeam + Reading)).StatusCode.ShouldBe(HttpStatusCode.NotFound);

        var withoutReadScope = await server.AsPartnerOf(DemoPartnership.Police.Id, PartnerScopes.ConsentsWrite);
        (await withoutReadScope.GetAsync(EllieTeam + Reading)).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await server.Anonymous().GetAsync(EllieTeam + Reading)).StatusCode.ShouldBeOneOf(HttpStatusCode.Unauthorized, HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task The_application_role_can_add_and_read_audit_entries_but_never_change_or_remove_them()
    {
        await server.As(DemoPartnership.PoliceOfficer).GetAsync(EllieTeam + Reading);
        await using var connection = new NpgsqlConnection(LocalServers.PostgresApp);
        await connection.OpenAsync();
        await using (var read = new NpgsqlCommand($"SELECT count(*) FROM \"{server.Schema}\".audit_entries", connection))
            ((long)(await read.ExecuteScalarAsync())!).ShouldBeGreaterThan(0);
        foreach (var change in new[] { "UPDATE {0}.audit_entries SET outcome = 'denied'", "DELETE FROM {0}.audit_entries", "TRUNCATE {0}.audit_entries" })
        {
            await using var command = new NpgsqlCommand(string.Format(System.Globalization.CultureInfo.InvariantCulture, change, $"\"{server.Schema}\""), connection);
            var refused = await Should.ThrowAsync<PostgresException>(() => command.ExecuteNonQueryAsync());
            refused.SqlState.ShouldBe(PostgresErrorCodes.InsufficientPrivilege);
        }
    }

    [Fact]
    public async Task Responses_carry_security_headers_and_the_OpenAPI_document_is_at_a_stable_url()
    {
        var response = await server.Anonymous().GetAsync("/openapi/v1.json");
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        var document = await response.Content.ReadFromJsonAsync<JsonElement>();
        document.GetProperty("paths").EnumerateObject().Select(p => p.Name).ShouldContain("/api/v1/clients/{clientId}/team");
        response.Headers.GetValues("Content-Security-Policy").Single().ShouldBe("default-src 'self'; frame-ancestors 'none'");
        response.Headers.GetValues("X-Content-Type-Options").Single().ShouldBe("nosniff");
        response.Headers.GetValues("Referrer-Policy").Single().ShouldBe("no-referrer");
        response.Headers.Contains("Strict-Transport-Security").ShouldBeFalse("HSTS only under HTTPS");
    }
}
