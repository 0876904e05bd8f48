// Every element of a FHIR POCO is optional (nullable); here an absent one is a failed test either way, so the checks read plainly.
#nullable disable
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Hl7.Fhir.Model;
using Task = System.Threading.Tasks.Task;
using Patchwork.Core;
using Patchwork.Server.Demo;
using Patchwork.Server.Fhir;
using Patchwork.Server.Tests.Api;
using Patchwork.Server.Tokens;
using Patchwork.Testing;
using static Patchwork.Server.Tests.Api.AuthorizationMatrixTests;

namespace Patchwork.Server.Tests.Fhir;

/// <summary>
/// The FHIR R4 door as a health partner's system uses it: every answer parsed strictly and validated against base R4
/// with Firely's validator (0 errors), every read audited on channel fhir with the purpose the caller sent, every error an
/// OperationOutcome naming the field.
/// </summary>
public sealed class FhirApiTests(ApiServer server) : IClassFixture<ApiServer>
{
    private const string Purpose = "planning a discharge meeting";

    private static readonly string[] FhirScopes = [PartnerScopes.FhirPatient, PartnerScopes.FhirCareTeam, PartnerScopes.FhirConsent];

    [Fact]
    public async Task The_capability_statement_says_exactly_the_three_searches_their_scopes_and_the_purpose_header()
    {
        using var response = await server.Anonymous().GetAsync("/fhir/r4/metadata");
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("application/fhir+json");
        var statement = FhirValidation.ShouldBeValid<CapabilityStatement>(await response.Content.ReadAsStringAsync());
        statement.FhirVersion.ShouldBe(FHIRVersion.N4_0_1);
        var rest = statement.Rest.ShouldHaveSingleItem();
        rest.Resource.Select(r => $"{r.Type} {r.SearchParam.Single().Name} {r.Interaction.Single().Code}").ShouldBe(
            ["Patient identifier SearchType", "CareTeam patient SearchType", "Consent patient SearchType"]);
        rest.Documentation.ShouldContain(FhirApi.PurposeHeader);
        foreach (var scope in FhirScopes) rest.Security.Description.ShouldContain(scope);
    }

    [Fact]
    public async Task The_care_team_is_the_organisations_view_with_masked_entries_and_ended_involvements_and_is_valid_R4()
    {
        var world = await World.CreateAsync(server);
        var teacher = server.As(DemoPartnership.Teacher);
        (await teacher.PostAsJsonAsync($"/api/v1/clients/{world.Client}/involvements/{world.Involvements["Teacher"]}/end", new { })).EnsureSuccessStatusCode();
        var police = await server.AsPartnerOf(DemoPartnership.Police.Id, [.. PartnerScopes.All]);

        var careTeam = await CareTeamAsync(police, world.Client);
        FhirResources.Members(careTeam).Order().ShouldBe(new[] { "SocialWorker", "PoliceOfficer", "Teacher", "Newcomer" }.Select(n => world.Involvements[n]).Order());
        careTeam.Subject.Reference.ShouldBe($"Patient/{world.Client}");
        var roles = careTeam.Contained.OfType<PractitionerRole>().ToDictionary(r => Guid.Parse(r.Id));
        var ended = roles[world.Involvements["Teacher"]];
        ended.Period.End.ShouldBe(DateOnly.FromDateTime(DateTime.UtcNow).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture));
        ended.Active.ShouldBe(false);
        var social = roles[world.Involvements["SocialWorker"]];
        social.Telecom.Select(t => $"{t.System} {t.Value}").ShouldBe(["Phone 01632 960999", "Email someone@wessex.example.org"]);
        social.Practitioner.Identifier.Value.ShouldBe(DemoPartnership.SocialWorker.Id.Value.ToString());
        careTeam.Contained.OfType<Organization>().Single(o => o.Id == "org-" + DemoPartnership.SocialCare.Id.Value).Name.ShouldBe(DemoPartnership.SocialCare.Name);

        // The sexual health nurse is masked: a participant with no member, no period, and only the handle to ask with.
        var masked = careTeam.Participant.Where(p => p.Member is null).ShouldHaveSingleItem();
        masked.Period.ShouldBeNull();
        masked.Role.Single().Coding.Single().Code.ShouldBe("another-service");
        var handle = masked.Extension.ShouldHaveSingleItem();
        handle.Url.ShouldBe(FhirCodes.RequestContactExtension);
        // The handle is the one the API gives the same organisation, so the contact request works with it.
        var apiTeam = await police.GetFromJsonAsync<JsonElement>($"/api/v1/clients/{world.Client}/team?purpose=check");
        ((FhirString)handle.Value).Value.ShouldBe(apiTeam.GetProperty("masked")[0].GetProperty("handle").GetString());

        var audit = (await AuditRows.OfAsync(server.Schema, "client.team.read", world.Client)).First(r => r.Channel == "fhir");
        (audit.Outcome, audit.Purpose, audit.PartnerSystem.HasValue).ShouldBe(("allowed", Purpose, true));
    }

    [Fact]
    public async Task Consents_are_those_naming_the_caller_and_the_approved_lawful_bases_and_are_valid_R4()
    {
        var world = await World.CreateAsync(server);
        (await server.As(DemoPartnership.TeamManager).PostAsync($"/api/v1/clients/{world.Client}/sharing-without-consent/{world.SharingBasis}/approve", null))
            .EnsureSuccessStatusCode();
        var police = await server.AsPartnerOf(DemoPartnership.Police.Id, [.. PartnerScopes.All]);

        var bundle = await SearchAsync(police, $"/fhir/r4/Consent?patient=Patient/{world.Client}");
        var consents = bundle.Entry.Select(e => (Consent)e.Resource).ToList();
        // The police sector's consent and the approved basis; not the school's consent, nor the objection naming housing.
        consents.Select(c => Guid.Parse(c.Id)).Order().ShouldBe(new[] { world.PoliceConsent, world.SharingBasis }.Order());
        consents.ShouldAllBe(c => c.Status == Consent.ConsentState.Active);
        consents.Single(c => c.Id == world.SharingBasis.ToString()).PolicyRule.Coding.Single().Code.ShouldBe("safeguarding-child");

        (await police.PostAsync($"/api/v1/clients/{world.Client}/consents/{world.PoliceConsent}/withdraw", null)).EnsureSuccessStatusCode();
        var after = await SearchAsync(police, $"/fhir/r4/Consent?patient={world.Client}");
        after.Entry.Select(e => (Consent)e.Resource).Single(c => c.Id == world.PoliceConsent.ToString()).Status.ShouldBe(Consent.ConsentState.Inactive);
        (await AuditRows.OfAsync(server.Schema, FhirApi.ConsentReadAction, world.Client)).ShouldAllBe(r => r.Channel == "fhir" && r.Purpose == Purpose);
    }

    [Fact]
    public async Task A_patient_search_by_NHS_number_says_only_that_a_match_exists()
    {
        var nhsNumber = ValidNhsNumber();
        var registered = await server.As(DemoPartnership.SocialWorker).PostAsJsonAsync("/api/v1/clients", new
        {
            givenNames = "Rowan", familyName = "Fhir" + Guid.NewGuid().ToString("N")[..8], dateOfBirth = "2010-02-03", nhsNumber, postcode = "SO23 8UJ",
            candidatesSeen = true,
        });
        registered.StatusCode.ShouldBe(HttpStatusCode.Created, await registered.Content.ReadAsStringAsync());
        var client = (await registered.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("clientId").GetGuid();
        var refuge = await server.AsPartnerOf(DemoPartnership.Refuge.Id, FhirScopes);

        var bundle = await SearchAsync(refuge, $"/fhir/r4/Patient?identifier={FhirCodes.NhsNumberSystem}|{nhsNumber}");
        var patient = (Patient)bundle.Entry.ShouldHaveSingleItem().Resource;
        patient.Id.ShouldBe(client.ToString());
        patient.Identifier.Single().Value.ShouldBe(nhsNumber);
        // No name, birth date, address or anything else: less than even the API's search shows.
        patient.Name.ShouldBeEmpty();
        patient.BirthDate.ShouldBeNull();
        patient.Address.ShouldBeEmpty();
        bundle.Entry.Single().FullUrl.ShouldEndWith($"/fhir/r4/Patient/{client}");
        var audit = (await AuditRows.OfAsync(server.Schema, "client.search", client)).ShouldHaveSingleItem();
        (audit.Channel, audit.Purpose, audit.Rule).ShouldBe(("fhir", Purpose, "Matches:1"));

        var none = await SearchAsync(refuge, $"/fhir/r4/Patient?identifier={FhirCodes.NhsNumberSystem}|{ValidNhsNumber()}");
        none.Entry.ShouldBeEmpty();
        none.Total.ShouldBe(0);
    }

    [Theory]
    [InlineData("/fhir/r4/CareTeam", true, "patient")]
    [InlineData("/fhir/r4/CareTeam?patient=not-an-id", true, "patient")]
    [InlineData("/fhir/r4/CareTeam?patient=Patient/{client}&status=active", true, "status")]
    [InlineData("/fhir/r4/CareTeam?patient={client}", false, FhirApi.PurposeHeader)]
    [InlineData("/fhir/r4/Consent?subject={client}", true, "subject")]
    [InlineData("/fhir/r4/Patient?identifier=9434765919", true, "identifier")]
    [InlineData("/fhir/r4/Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|1234567890", true, "identifier")]
    [InlineData("/fhir/r4/Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|9434765919", false, FhirApi.PurposeHeader)]
    [InlineData("/fhir/r4/Patient?name=Smith", true, "name")]
    public async Task Bad_input_is_an_OperationOutcome_naming_the_field_never_a_5xx(string path, bool withPurpose, string field)
    {
        var world = await World.CreateAsync(server);
        var social = await server.AsPartnerOf(DemoPartnership.SocialCare.Id, FhirScopes);
        using var request = new HttpRequestMessage(HttpMethod.Get, path.Replace("{client}", world.Client.ToString(), StringComparison.Ordinal));
        if (withPurpose) request.Headers.Add(FhirApi.PurposeHeader, Purpose);
        using var response = await social.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest, body);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("application/fhir+json");
        var outcome = FhirValidation.ShouldBeValid<OperationOutcome>(body);
        outcome.Issue.Single().Expression.ShouldBe([field]);
    }

    [Fact]
    public async Task Refusals_of_the_token_check_and_of_the_policy_are_valid_OperationOutcomes()
    {
        var world = await World.CreateAsync(server);
        using var anonymous = await server.Anonymous().GetAsync($"/fhir/r4/CareTeam?patient={world.Client}");
        anonymous.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        FhirValidation.ShouldBeValid<OperationOutcome>(await anonymous.Content.ReadAsStringAsync()).Issue.Single().Code.ShouldBe(OperationOutcome.IssueType.Login);

        var readOnly = await server.AsPartnerOf(DemoPartnership.SocialCare.Id, PartnerScopes.Read);
        using var forbidden = await readOnly.GetAsync($"/fhir/r4/CareTeam?patient={world.Client}");
        forbidden.StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        FhirValidation.ShouldBeValid<OperationOutcome>(await forbidden.Content.ReadAsStringAsync()).Issue.Single().Code.ShouldBe(OperationOutcome.IssueType.Forbidden);
        var refused = (await AuditRows.OfAsync(server.Schema, "FhirSearchCareTeam", world.Client)).ShouldHaveSingleItem();
        (refused.Channel, refused.Outcome).ShouldBe(("fhir", "denied"));

        var refuge = await server.AsPartnerOf(DemoPartnership.Refuge.Id, FhirScopes);
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/fhir/r4/CareTeam?patient={world.Client}");
        request.Headers.Add(FhirApi.PurposeHeader, Purpose);
        using var hidden = await refuge.SendAsync(request);
        hidden.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        FhirValidation.ShouldBeValid<OperationOutcome>(await hidden.Content.ReadAsStringAsync()).Issue.Single().Code.ShouldBe(OperationOutcome.IssueType.NotFound);

        using var write = await refuge.PostAsync("/fhir/r4/CareTeam", null);
        write.StatusCode.ShouldBe(HttpStatusCode.MethodNotAllowed);
        FhirValidation.ShouldBeValid<OperationOutcome>(await write.Content.ReadAsStringAsync());
    }

    [Fact]
    public void The_validator_finds_the_errors_of_a_resource_that_breaks_R4()
    {
        // The positive control: a Consent with no status, scope or policy, and a contained resource nothing refers to.
        var broken = new Consent { Contained = [new Organization { Id = "stray" }] };
        FhirValidation.Errors(broken).Count.ShouldBeGreaterThanOrEqualTo(3, FhirValidation.Report(broken));
    }

    [Fact]
    public void The_Patchwork_code_system_is_valid_R4() =>
        FhirValidation.Errors(FhirCodes.CodeSystem()).ShouldBeEmpty(FhirValidation.Report(FhirCodes.CodeSystem()));

    internal static async System.Threading.Tasks.Task<Bundle> SearchAsync(HttpClient http, string path, string purpose = Purpose)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Add(FhirApi.PurposeHeader, purpose);
        using var response = await http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(HttpStatusCode.OK, body);
        var bundle = FhirValidation.ShouldBeValid<Bundle>(body);
        bundle.Type.ShouldBe(Bundle.BundleType.Searchset);
        return bundle;
    }

    internal static async System.Threading.Tasks.Task<CareTeam> CareTeamAsync(HttpClient http, Guid client) =>
        (CareTeam)(await SearchAsync(http, $"/fhir/r4/CareTeam?patient={client}")).Entry.ShouldHaveSingleItem().Resource;

    /// <summary>A random NHS number whose check digit is right (modulus 11).</summary>
    internal static string ValidNhsNumber()
    {
        while (true)
        {
            var digits = Enumerable.Range(0, 9).Select(_ => Random.Shared.Next(10)).ToArray();
            var check = 11 - digits.Select((d, i) => d * (10 - i)).Sum() % 11;
            if (check == 10) continue;
            return string.Concat(digits) + (check == 11 ? 0 : check);
        }
    }
}
