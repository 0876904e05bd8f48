using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Hl7.Fhir.Model;
using Hl7.Fhir.Specification.Source;
using Npgsql;
using Patchwork.Server.Api.Audit;
using Patchwork.Server.Demo;
using Patchwork.Server.Fhir;
using Patchwork.Server.Tests.Api;
using Patchwork.Testing;
using Task = System.Threading.Tasks.Task;

namespace Patchwork.Server.Tests.Fhir;

/// <summary>
/// The subject access response (issue 24): the DPO's export as a FHIR R4 Bundle that validates against base R4 with
/// codes from the published systems that define them, and as a page for the person in plain words; both through the JSON
/// export's own door, so the same people get 404, and an erased person's copy says what went and when in all three.
/// </summary>
public sealed partial class SubjectAccessResponseTests(SignedInApiServer server) : IClassFixture<SignedInApiServer>
{
    private const string Purpose = "subject access request received 1 December";

    /// <summary>Systems the offline specification does not carry (LOINC is licensed separately): named, so no other can slip by.</summary>
    private static readonly HashSet<string> NotInTheSpecification = ["http://loinc.org"];

    [Fact]
    public async Task A_DPOs_FHIR_export_is_a_valid_collection_of_patient_team_consents_an_audit_event_for_every_access_and_provenance()
    {
        var person = await GivenPersonAsync();
        var dpo = await server.AsAsync(DemoPartnership.SocialCareDpo);
        var (json, _) = await JsonExportAsync(dpo, person.Client);

        var bundle = await BundleAsync(dpo, person.Client);

        bundle.Type.ShouldBe(Bundle.BundleType.Collection);
        FhirValidation.Errors(bundle).ShouldBeEmpty(FhirValidation.Report(bundle));
        foreach (var entry in bundle.Entry)
            FhirValidation.Errors(entry.Resource!).ShouldBeEmpty($"{entry.FullUrl}: {FhirValidation.Report(entry.Resource!)}");

        var patient = bundle.Entry.Select(e => e.Resource).OfType<Patient>().Single();
        patient.Identifier.ShouldContain(i => i.System == FhirCodes.NhsNumberSystem && i.Value == person.NhsNumber);
        patient.Name.Single().Family.ShouldBe(person.FamilyName);

        var careTeam = bundle.Entry.Select(e => e.Resource).OfType<CareTeam>().Single();
        FhirResources.Members(careTeam).Order().ShouldBe(
            json.GetProperty("involvements").EnumerateArray().Select(i => i.GetProperty("involvementId").GetGuid()).Order());
        careTeam.Contained.OfType<PractitionerRole>().ShouldContain(r => r.Practitioner!.Display == DemoPartnership.SocialWorker.Name);

        var consents = bundle.Entry.Select(e => e.Resource).OfType<Consent>().ToList();
        consents.Select(c => Guid.Parse(c.Id!)).Order().ShouldBe(new[] { "consents", "sharingWithoutConsent", "objections" }
            .SelectMany(part => json.GetProperty(part).EnumerateArray().Select(c => c.EnumerateObject().First().Value.GetGuid())).Order());
        consents.ShouldContain(c => c.Provision!.Type == Consent.ConsentProvisionType.Deny, "the objection");
        consents.ShouldContain(c => c.Status == Consent.ConsentState.Proposed, "the request to share without consent awaiting a manager");

        // An AuditEvent for every access: each entry of the JSON export (made a moment before), and the Bundle's own export.
        var auditEvents = bundle.Entry.Select(e => e.Resource).OfType<AuditEvent>().ToList();
        var logged = json.GetProperty("audit").EnumerateArray().ToList();
        logged.Count.ShouldBeGreaterThan(3);
        auditEvents.Count.ShouldBe(logged.Count + 1);
        var ids = auditEvents.Select(a => a.Id).ToHashSet();
        logged.Select(e => e.GetProperty("id").GetGuid().ToString()).ShouldAllBe(id => ids.Contains(id));
        var read = auditEvents.Single(a => a.PurposeOfEvent.Single().Text == person.ReadPurpose);
        read.Agent.ShouldContain(a => a.Requestor == true && a.Who!.Identifier!.System == FhirCodes.PractitionerIdSystem
            && a.Who.Identifier.Value == DemoPartnership.SocialWorker.Id.Value.ToString() && a.Who.Display == DemoPartnership.SocialWorker.Name);
        read.Agent.ShouldContain(a => a.Who!.Identifier!.System == FhirCodes.OrganisationIdSystem && a.Who.Display == DemoPartnership.SocialCare.Name);
        read.Recorded.ShouldNotBeNull();
        read.PurposeOfEvent.Single().Coding.Single().System.ShouldBe(FhirCodes.ActReasonSystem);
        read.Source.Type.ShouldContain(c => c.System == FhirCodes.CodeSystemUrl && c.Code == "channel-api");
        read.Subtype.ShouldContain(c => c.System == FhirCodes.CodeSystemUrl && c.Code == "client.team.read");
        var own = auditEvents.Single(a => a.PurposeOfEvent.Single().Text == Purpose && a.Source.Type.Any(c => c.Code == "channel-fhir"));
        own.Type.Code.ShouldBe("110106", "the export's own entry is a DICOM Export");

        var provenance = bundle.Entry.Select(e => e.Resource).OfType<Provenance>().Single();
        provenance.Target.Count.ShouldBe(bundle.Entry.Count - 1, "it speaks for every other resource in the Bundle");
        provenance.Agent.Single().Who!.Identifier!.Value.ShouldBe(DemoPartnership.SocialCareDpo.Id.Value.ToString());
        provenance.Reason.Single().Text.ShouldBe(Purpose);
    }

    [Fact]
    public async Task Every_code_in_the_Bundle_is_defined_by_the_published_code_system_it_names_or_by_Patchworks_own()
    {
        var person = await GivenPersonAsync();
        using (var granted = await (await server.AsAsync(DemoPartnership.PoliceSergeant)).PostAsJsonAsync($"/api/v1/clients/{person.Client}/break-glass",
            new { justification = "child missing overnight", durationMinutes = 60 }))
            granted.StatusCode.ShouldBe(HttpStatusCode.Created, await granted.Content.ReadAsStringAsync());
        var bundle = await BundleAsync((await server.AsAsync(DemoPartnership.PartnershipAdmin)), person.Client);
        var json = JsonSerializer.Serialize(bundle, FhirValidation.Json);

        var specification = new CachedResolver(ZipSource.CreateValidationSource());
        var codings = Codings(JsonDocument.Parse(json).RootElement).ToList();
        codings.Select(c => c.System).Distinct().Count().ShouldBeGreaterThan(8, "the check reads the Bundle's codings");
        codings.ShouldContain(c => c.System == FhirCodes.DicomSystem && c.Code == "110127", "the break-glass is an emergency override");
        var wrong = new List<string>();
        foreach (var (system, code) in codings.Distinct())
        {
            if (system == FhirCodes.CodeSystemUrl)
            {
                if (!FhirCodes.Concepts.Any(c => c.Code == code)) wrong.Add($"{system}|{code}: not in Patchwork's code system");
                continue;
            }
            if (await specification.ResolveByCanonicalUriAsync(system) is CodeSystem published)
            {
                if (!Defines(published.Concept, code)) wrong.Add($"{system}|{code}: the published code system does not define it");
            }
            else if (!NotInTheSpecification.Contains(system)) wrong.Add($"{system}|{code}: no such published code system");
        }
        wrong.ShouldBeEmpty(string.Join(Environment.NewLine, wrong));
        // And the Patchwork code system that names the rest is itself valid R4.
        FhirValidation.Errors(FhirCodes.CodeSystem()).ShouldBeEmpty(FhirValidation.Report(FhirCodes.CodeSystem()));
    }

    [Fact]
    public async Task Only_the_exports_door_opens_the_Bundle_and_the_page_and_each_is_audited_with_its_purpose_and_channel()
    {
        var person = await GivenPersonAsync();
        var paths = new[] { $"/api/v1/clients/{person.Client}/export.fhir?purpose=checking", $"/clients/{person.Client}/subject-access?purpose=checking" };
        // Someone on the team, a DPO of an organisation with no involvement, and a manager: none of them exports.
        foreach (var caller in new[] { DemoPartnership.SocialWorker, DemoPartnership.Teacher, DemoPartnership.TeamManager })
            foreach (var path in paths)
            {
                using var refused = await (await server.AsAsync(caller)).GetAsync(path);
                var body = await refused.Content.ReadAsStringAsync();
                refused.StatusCode.ShouldBe(HttpStatusCode.NotFound, $"{caller.Name} {path}: {body}");
                body.ShouldNotContain(person.FamilyName);
            }
        using (var refused = await (await server.AsAsync(new Core.PractitionerId(DemoPartnership.Derive("subject access refuge dpo")), DemoPartnership.Refuge.Id, Core.Roles.DataProtectionOfficer)).GetAsync(paths[0]))
            refused.StatusCode.ShouldBe(HttpStatusCode.NotFound, "the refuge holds nothing of this person");

        var dpo = await server.AsAsync(DemoPartnership.SocialCareDpo);
        using (var noPurpose = await dpo.GetAsync($"/api/v1/clients/{person.Client}/export.fhir"))
        {
            var body = await noPurpose.Content.ReadAsStringAsync();
            noPurpose.StatusCode.ShouldBe(HttpStatusCode.BadRequest, body);
            JsonDocument.Parse(body).RootElement.GetProperty("errors").TryGetProperty("purpose", out _).ShouldBeTrue(body);
        }
        // Without a purpose the page asks for one, naming no client; someone who prepares no copies is not even asked.
        using (var form = await dpo.GetAsync($"/clients/{person.Client}/subject-access"))
        {
            var body = await form.Content.ReadAsStringAsync();
            form.StatusCode.ShouldBe(HttpStatusCode.OK, body);
            body.ShouldContain("Why are you preparing this copy?");
            body.ShouldNotContain(person.FamilyName);
        }
        using (var notAsked = await (await server.AsAsync(DemoPartnership.SocialWorker)).GetAsync($"/clients/{person.Client}/subject-access"))
            notAsked.StatusCode.ShouldBe(HttpStatusCode.NotFound);

        using (var bundle = await dpo.GetAsync($"/api/v1/clients/{person.Client}/export.fhir?purpose=bundle%20audit%20check"))
        {
            bundle.StatusCode.ShouldBe(HttpStatusCode.OK);
            bundle.Content.Headers.ContentType!.MediaType.ShouldBe(FhirApi.MediaType);
        }
        (await NewestExportAsync(person.Client)).ShouldBe(("fhir", "bundle audit check", "allowed"));
        using (var page = await dpo.GetAsync($"/clients/{person.Client}/subject-access?purpose=page%20audit%20check"))
            page.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await NewestExportAsync(person.Client)).ShouldBe(("web", "page audit check", "allowed"));
    }

    [Fact]
    public async Task The_page_as_the_DPO_shows_the_team_the_sharing_bases_and_every_access_with_its_purpose_in_plain_words()
    {
        var person = await GivenPersonAsync();
        var dpo = await server.AsAsync(DemoPartnership.SocialCareDpo);
        var (json, _) = await JsonExportAsync(dpo, person.Client);

        using var response = await dpo.GetAsync($"/clients/{person.Client}/subject-access?purpose={Uri.EscapeDataString(Purpose)}");
        var html = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(HttpStatusCode.OK, html);
        var text = WebUtility.HtmlDecode(html);

        text.ShouldContain($"What Patchwork holds about Rowan {person.FamilyName}");
        text.ShouldContain(person.NhsNumber);
        var team = Table(text, "worked-with");
        team.ShouldContain(row => row.Contains(DemoPartnership.SocialCare.Name) && row.Contains("Allocated social worker") && row.Contains(DemoPartnership.SocialWorker.Name)
            && row.Contains("Still working with you"));
        team.ShouldNotContain(row => row.Contains(DemoPartnership.Police.Name), "the consent names the police, not social care: Social Care may not see them");
        var shared = Table(text, "shared");
        shared.ShouldContain(row => row.Contains("Every police organisation in the partnership") && row.Contains("Consent given by you") && row.Contains("In force"));
        shared.ShouldContain(row => row.Contains("Without your consent: to keep a child safe from harm") && row.Contains("risk of significant harm")
            && row.Contains("not yet approved"));
        shared.ShouldContain(row => row.Contains("Every housing organisation in the partnership") && row.Contains("Your objection"));
        // Every access with its purpose: the JSON export's entries and the page's own export.
        var looks = Table(text, "looks");
        looks.Count.ShouldBe(json.GetProperty("audit").GetArrayLength() + 1);
        looks.ShouldContain(row => row.Contains(DemoPartnership.SocialWorker.Name) && row.Contains("Looked at who works with you") && row.Contains(person.ReadPurpose));
        looks.Last().ShouldContain(Purpose);
        looks.Last().ShouldContain("on the Patchwork website");
        // Plain words: none of the codes, rule names or channels' technical names a machine reads.
        foreach (var jargon in new[] { "client.team.read", "OwnOrganisation", "SafeguardingChild", "PersonWithParentalResponsibility", "general", "channel" })
            Regex.Replace(text, "<[^>]*>", " ").ShouldNotContain(jargon, Case.Sensitive, $"the page says {jargon}");
    }

    [Fact]
    public async Task An_erased_persons_export_says_what_was_erased_and_when_in_the_JSON_the_Bundle_and_the_page()
    {
        var person = await GivenPersonAsync(endEverything: true);
        const string reason = "retention period after the last involvement has passed";
        using (var erased = await (await server.AsAsync(DemoPartnership.PartnershipAdmin)).PostAsJsonAsync($"/api/v1/clients/{person.Client}/erasure", new { reason }))
            erased.StatusCode.ShouldBe(HttpStatusCode.NoContent, await erased.Content.ReadAsStringAsync());
        var erasedAt = await ErasedAtAsync(person.Client);
        var dpo = await server.AsAsync(DemoPartnership.SocialCareDpo);

        var (json, raw) = await JsonExportAsync(dpo, person.Client);
        json.GetProperty("identity").ValueKind.ShouldBe(JsonValueKind.Null);
        var erasure = json.GetProperty("erasure");
        erasure.GetProperty("erasedAt").GetDateTimeOffset().ShouldBe(erasedAt);
        erasure.GetProperty("reason").GetString().ShouldBe(reason);
        erasure.GetProperty("erased").EnumerateArray().Select(e => e.GetString()).ShouldContain(e => e!.Contains("NHS number"));
        raw.ShouldNotContain(person.FamilyName);

        var bundle = await BundleAsync(dpo, person.Client);
        FhirValidation.Errors(bundle).ShouldBeEmpty(FhirValidation.Report(bundle));
        var patient = bundle.Entry.Select(e => e.Resource).OfType<Patient>().Single();
        patient.Identifier.ShouldBeEmpty();
        patient.Name.ShouldBeEmpty();
        var mark = patient.GetExtension(FhirCodes.ErasedExtension).ShouldNotBeNull();
        ((FhirDateTime)mark.GetExtension("erasedAt")!.Value!).ToDateTimeOffset(TimeSpan.Zero).ShouldBe(erasedAt);
        ((FhirString)mark.GetExtension("reason")!.Value!).Value.ShouldBe(reason);
        var deletion = bundle.Entry.Select(e => e.Resource).OfType<Provenance>().Single(p => p.Activity?.Coding.Any(c => c.Code == "DELETE") == true);
        deletion.Target.Single().Reference.ShouldBe($"Patient/{person.Client}");
        deletion.Recorded.ShouldBe(erasedAt);
        deletion.Activity!.Text!.ShouldContain("date of birth");
        JsonSerializer.Serialize(bundle, FhirValidation.Json).ShouldNotContain(person.FamilyName);

        using var page = await dpo.GetAsync($"/clients/{person.Client}/subject-access?purpose=answering%20a%20request");
        var html = await page.Content.ReadAsStringAsync();
        page.StatusCode.ShouldBe(HttpStatusCode.OK, html);
        var text = WebUtility.HtmlDecode(html);
        text.ShouldContain("What Patchwork holds about this person");
        text.ShouldContain($"Your personal details were erased on <time datetime=\"{erasedAt.UtcDateTime:yyyy-MM-dd'T'HH:mm:ss'Z'}\">");
        text.ShouldContain(reason);
        text.ShouldContain("<li>Name, date of birth, NHS number, postcode", Case.Sensitive);
        text.ShouldNotContain(person.FamilyName);
        Table(text, "worked-with").ShouldContain(row => row.Contains("Allocated social worker") && row.Contains("To "), "the skeleton stays: who worked with them");
    }

    private sealed record Person(Guid Client, string FamilyName, string NhsNumber, string ReadPurpose);

    /// <summary>
    /// A person with an NHS number, Social Care's and the police's involvements, consent to the police sector, an objection
    /// to housing, a request to share without consent awaiting a manager, and a read of the team by the social worker with
    /// a purpose of its own.
    /// </summary>
    private async Task<Person> GivenPersonAsync(bool endEverything = false)
    {
        var nhsNumber = FhirApiTests.ValidNhsNumber();
        var familyName = "Access" + Guid.NewGuid().ToString("N")[..8];
        var worker = await server.AsAsync(DemoPartnership.SocialWorker);
        var client = await IdAsync(await worker.PostAsJsonAsync("/api/v1/clients", new
        {
            givenNames = "Rowan",
            familyName,
            dateOfBirth = "2010-02-03",
            nhsNumber,
            postcode = "SO23 8UJ",
            candidatesSeen = true,
        }), "clientId");
        var c = $"/api/v1/clients/{client}";
        var involvements = new List<(DemoPartnership.Staff Staff, Guid Id)>();
        foreach (var (staff, role) in new[] { (DemoPartnership.SocialWorker, "Allocated social worker"), (DemoPartnership.PoliceOfficer, "Public protection officer") })
            involvements.Add((staff, await IdAsync(await (await server.AsAsync(staff)).PostAsJsonAsync($"{c}/involvements", new
            {
                role,
                category = "general",
                start = DateOnly.FromDateTime(DateTime.UtcNow.AddDays(-3)).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
                contact = new { phone = "01632 960555" },
            }), "involvementId")));
        await IdAsync(await worker.PostAsJsonAsync($"{c}/consents", new
        {
            scope = new { sector = "police" },
            categories = new { includesGeneral = true, named = Array.Empty<string>() },
            givenBy = "client",
            evidence = new { kind = "written", reference = "form 12" },
        }), "id");
        await IdAsync(await worker.PostAsJsonAsync($"{c}/objections", new { scope = new { sector = "housing" } }), "id");
        await IdAsync(await worker.PostAsJsonAsync($"{c}/sharing-without-consent", new
        {
            lawfulBasis = "safeguardingChild",
            justification = "risk of significant harm",
            expiresAt = DateTimeOffset.UtcNow.AddDays(7),
        }), "id");
        var readPurpose = "strategy meeting " + Guid.NewGuid().ToString("N")[..6];
        using (var read = await worker.GetAsync($"{c}/team?purpose={Uri.EscapeDataString(readPurpose)}"))
            read.StatusCode.ShouldBe(HttpStatusCode.OK);
        if (endEverything)
            foreach (var (staff, id) in involvements)
                using (var ended = await (await server.AsAsync(staff)).PostAsJsonAsync($"{c}/involvements/{id}/end", new { }))
                    ended.StatusCode.ShouldBe(HttpStatusCode.OK, await ended.Content.ReadAsStringAsync());
        return new Person(client, familyName, nhsNumber, readPurpose);
    }

    private static async Task<(JsonElement Export, string Json)> JsonExportAsync(HttpClient exporter, Guid client)
    {
        using var response = await exporter.GetAsync($"/api/v1/clients/{client}/export?purpose={Uri.EscapeDataString(Purpose)}");
        var json = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(HttpStatusCode.OK, json);
        return (JsonDocument.Parse(json).RootElement, json);
    }

    private static async Task<Bundle> BundleAsync(HttpClient exporter, Guid client)
    {
        using var response = await exporter.GetAsync($"/api/v1/clients/{client}/export.fhir?purpose={Uri.EscapeDataString(Purpose)}");
        var json = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(HttpStatusCode.OK, json);
        response.Content.Headers.ContentType!.MediaType.ShouldBe(FhirApi.MediaType);
        return JsonSerializer.Deserialize<Bundle>(json, FhirValidation.Json)!;
    }

    private static async Task<Guid> IdAsync(HttpResponseMessage response, string property)
    {
        using (response)
        {
            var body = await response.Content.ReadAsStringAsync();
            response.StatusCode.ShouldBe(HttpStatusCode.Created, $"{response.RequestMessage?.RequestUri}: {body}");
            return JsonDocument.Parse(body).RootElement.GetProperty(property).GetGuid();
        }
    }

    /// <summary>Every object with a system and a code, wherever it sits in the resource.</summary>
    private static IEnumerable<(string System, string Code)> Codings(JsonElement element)
    {
        if (element.ValueKind == JsonValueKind.Array)
            foreach (var item in element.EnumerateArray()) foreach (var coding in Codings(item)) yield return coding;
        if (element.ValueKind != JsonValueKind.Object) yield break;
        if (element.TryGetProperty("system", out var system) && element.TryGetProperty("code", out var code) && code.ValueKind == JsonValueKind.String)
            yield return (system.GetString()!, code.GetString()!);
        foreach (var property in element.EnumerateObject())
            foreach (var coding in Codings(property.Value)) yield return coding;
    }

    private static bool Defines(IEnumerable<CodeSystem.ConceptDefinitionComponent> concepts, string code) =>
        concepts.Any(c => c.Code == code || Defines(c.Concept, code));

    /// <summary>The rows of the page's table with that id, each as its cells' text.</summary>
    private static List<string> Table(string html, string id)
    {
        var start = html.IndexOf($"id=\"{id}\"", StringComparison.Ordinal);
        start.ShouldBeGreaterThan(0, $"the page has no table {id}");
        var body = html[html.IndexOf("<tbody", start, StringComparison.Ordinal)..html.IndexOf("</tbody>", start, StringComparison.Ordinal)];
        return [.. body.Split("<tr", StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(row => WhiteSpace().Replace(Tags().Replace(row, " "), " "))];
    }

    private async Task<DateTimeOffset> ErasedAtAsync(Guid client)
    {
        await using var connection = new NpgsqlConnection(LocalServers.PostgresOwner);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            $"SELECT at FROM \"{server.Schema}\".audit_entries WHERE client_id = $1 AND action = 'client.erase' AND outcome = 'allowed'", connection)
        {
            Parameters = { new() { Value = client } },
        };
        return new DateTimeOffset((DateTime)(await command.ExecuteScalarAsync())!, TimeSpan.Zero);
    }

    private async Task<(string Channel, string? Purpose, string Outcome)> NewestExportAsync(Guid client)
    {
        await using var connection = new NpgsqlConnection(LocalServers.PostgresOwner);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            $"SELECT channel, purpose, outcome FROM \"{server.Schema}\".audit_entries WHERE client_id = $1 AND action = 'client.export' ORDER BY id DESC LIMIT 1",
            connection)
        {
            Parameters = { new() { Value = client } },
        };
        await using var row = await command.ExecuteReaderAsync();
        (await row.ReadAsync()).ShouldBeTrue();
        return (row.GetString(0), row.IsDBNull(1) ? null : row.GetString(1), row.GetString(2));
    }

    [GeneratedRegex("<[^>]*>")]
    private static partial Regex Tags();

    [GeneratedRegex(@"\s+")]
    private static partial Regex WhiteSpace();
}
