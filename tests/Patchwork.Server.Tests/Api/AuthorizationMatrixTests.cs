using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Patchwork.Core;
using Patchwork.Server.Demo;

namespace Patchwork.Server.Tests.Api;

/// <summary>
/// Every client endpoint of the API × every kind of caller, against a table of expected answers written out below from
/// DESIGN.md §3 (and the issue's rules: 404 where existence is sensitive, roles for administrative acts) — not computed
/// by calling the access policy. Each state-changing cell runs against a fresh client set up exactly like the demo's
/// Ellie, so no cell depends on another.
///
/// The client, as the social worker registers it: involvements of the social worker (Social Care, general), the police
/// officer (Police, general), the designated safeguarding lead (school, general) and a sexual health nurse (Health,
/// sexual health — sensitive); consent to share general categories with the police sector and with the school.
///
/// Every practitioner caller comes in through the real door (<see cref="SignedInApiServer"/>: password, second factor,
/// session cookie, antiforgery header on changes); partner systems with their access tokens. Each cell also checks that
/// the host matched the route its row declares in <see cref="Routes"/>, the list the route coverage test reads.
/// </summary>
public sealed class AuthorizationMatrixTests(SignedInApiServer server) : IClassFixture<SignedInApiServer>
{
    /// <summary>The callers, in the order of the table's columns.</summary>
    public enum Caller
    {
        Anonymous,          // no credentials
        SocialWorker,       // same organisation as the recording social worker — on the team
        TeamManager,        // same organisation, a manager, not on the team
        PoliceOfficer,      // another organisation, on the team, consent covers them
        SexualHealthNurse,  // another organisation, on the team, no consent toward them
        PoliceSergeant,     // another organisation whose sector has consent, not on the team (own organisation's entry only)
        RefugeWorker,       // another organisation, not on the team, no consent: nothing
        Dpo,                // Social Care's data protection officer
        OrganisationAdmin,  // Social Care's organisation (and partnership) administrator
        PartnerSame,        // a partner system of Social Care
        PartnerOther,       // a partner system of the refuge, which has no involvement
        PlainOrgAdmin,      // Social Care's organisation administrator who is not also a partnership admin
        UninvolvedDpo,      // the data protection officer of the refuge, which has no involvement
        Newcomer,           // a police officer who recorded an involvement a moment ago (the consent to the police sector covers them)
    }

    private static readonly PractitionerId PlainOrgAdminId = new(DemoPartnership.Derive("matrix plain organisation admin"));
    private static readonly PractitionerId UninvolvedDpoId = new(DemoPartnership.Derive("matrix refuge data protection officer"));
    private static readonly PractitionerId NewcomerId = new(DemoPartnership.Derive("matrix police newcomer"));

    // Expected status per endpoint and caller. 401: no credentials; 403: this kind of caller may not use the endpoint, or
    // may see the client but not do this (recording an involvement needs the practitioner role, which the DPOs and the
    // administrators lack); 404: the caller may see nothing of the client (or of the thing named), so it does not exist for
    // them; 409: already done, or (erase) involvements still active; 400: the act names what the caller
    // has no authority over (another organisation's practitioner). Invitations and roles (rule 13) have their own table
    // through real sessions: InvitationAuthorityTests.
    // Authority (DESIGN §3 rules 7, 8, 13, 14): a consent is recorded on one's own active involvement, and one naming a
    // sensitive category only by the organisation holding it; an objection is withdrawn only by the organisation that
    // recorded it (Social Care here), never by one it names; a partner names only its own organisation's practitioners.
    //                                                 Anon  SW   TM   PO   SHN  Sgt  Ref  DPO  Adm  PtS  PtO  POA  UDPO NC
    private const string Table = """
        GET    team                                     401  200  200  200  200  200  404  200  200  200  404  200  404  200
        GET    search                                   401  200  200  200  200  200  200  200  200  200  200  200  200  200
        GET    who-viewed                               401  200  404  200  200  404  404  200  200  403  403  404  404  200
        GET    export                                   401  404  404  404  404  404  404  200  200  403  403  404  404  404
        GET    export-fhir                              401  404  404  404  404  404  404  200  200  403  403  404  404  404
        POST   erase                                    401  404  404  404  404  404  404  404  409  403  403  404  404  404
        POST   register-client                          401  201  201  201  201  201  201  201  201  201  201  201  201  201
        POST   record-involvement                       401  409  201  409  409  201  201  403  403  201  201  403  403  409
        POST   record-involvement-for-another-org       401  400  400  409  400  400  400  403  403  400  400  403  403  400
        POST   end-involvement                          401  200  200  403  404  404  404  403  200  200  404  200  404  403
        PATCH  change-involvement                       401  200  200  403  404  404  404  403  200  200  404  200  404  403
        POST   record-consent                           401  201  403  201  201  403  404  403  403  201  404  403  404  201
        POST   record-sensitive-consent                 401  403  403  403  201  403  404  403  403  403  404  403  404  403
        POST   withdraw-consent                         401  200  200  200  200  200  404  200  200  200  404  200  404  200
        POST   record-objection                         401  201  201  201  201  201  404  201  201  201  404  201  404  201
        POST   withdraw-objection                       401  200  200  403  403  403  404  200  200  200  404  200  404  403
        POST   request-sharing-without-consent          401  201  403  201  201  403  404  403  403  403  403  403  404  201
        POST   approve-sharing-without-consent          401  403  200  403  403  403  404  403  403  403  403  403  404  403
        POST   break-glass                              401  201  201  201  201  201  201  201  201  403  403  201  201  201
        POST   raise-attention                          401  201  403  201  201  403  404  403  403  403  403  403  404  201
        POST   request-contact                          401  201  404  201  404  404  404  404  404  403  403  404  404  201
        POST   answer-contact-request                   401  403  403  403  200  403  404  403  403  403  403  403  404  403
        """;

    /// <summary>The route each row reaches, as the host maps it (checked on every cell's response).</summary>
    internal static readonly Dictionary<string, string> Routes = new()
    {
        ["team"] = "GET /api/v1/clients/{clientId}/team",
        ["search"] = "GET /api/v1/clients",
        ["who-viewed"] = "GET /api/v1/clients/{clientId}/audit",
        ["export"] = "GET /api/v1/clients/{clientId}/export",
        ["export-fhir"] = "GET /api/v1/clients/{clientId}/export.fhir",
        ["erase"] = "POST /api/v1/clients/{clientId}/erasure",
        ["register-client"] = "POST /api/v1/clients",
        ["record-involvement"] = "POST /api/v1/clients/{clientId}/involvements",
        ["record-involvement-for-another-org"] = "POST /api/v1/clients/{clientId}/involvements",
        ["end-involvement"] = "POST /api/v1/clients/{clientId}/involvements/{involvementId}/end",
        ["change-involvement"] = "PATCH /api/v1/clients/{clientId}/involvements/{involvementId}",
        ["record-consent"] = "POST /api/v1/clients/{clientId}/consents",
        ["record-sensitive-consent"] = "POST /api/v1/clients/{clientId}/consents",
        ["withdraw-consent"] = "POST /api/v1/clients/{clientId}/consents/{consentId}/withdraw",
        ["record-objection"] = "POST /api/v1/clients/{clientId}/objections",
        ["withdraw-objection"] = "POST /api/v1/clients/{clientId}/objections/{objectionId}/withdraw",
        ["request-sharing-without-consent"] = "POST /api/v1/clients/{clientId}/sharing-without-consent",
        ["approve-sharing-without-consent"] = "POST /api/v1/clients/{clientId}/sharing-without-consent/{basisId}/approve",
        ["break-glass"] = "POST /api/v1/clients/{clientId}/break-glass",
        ["raise-attention"] = "POST /api/v1/clients/{clientId}/attention",
        ["request-contact"] = "POST /api/v1/clients/{clientId}/contact-requests",
        ["answer-contact-request"] = "POST /api/v1/clients/{clientId}/contact-requests/{requestId}/answer",
    };

    // What each caller sees of the team (GET team): the practitioners whose involvements are visible, and how many masked
    // entries ("another service is involved"). Partners see their organisation's view.
    private static readonly Dictionary<Caller, (string[] Visible, int Masked)> TeamViews = new()
    {
        [Caller.SocialWorker] = (["SocialWorker"], 1),                              // own organisation; the nurse is masked
        [Caller.TeamManager] = (["SocialWorker"], 0),                               // own organisation; no relationship, so no masked entry
        [Caller.PoliceOfficer] = (["SocialWorker", "PoliceOfficer", "Teacher", "Newcomer"], 1), // consent to the police sector, general only
        [Caller.SexualHealthNurse] = (["SexualHealthNurse"], 0),                    // no consent toward Health; nothing sensitive to mask
        [Caller.PoliceSergeant] = (["PoliceOfficer", "Newcomer"], 0),               // own organisation only
        [Caller.Dpo] = (["SocialWorker"], 0),
        [Caller.OrganisationAdmin] = (["SocialWorker"], 0),
        [Caller.PartnerSame] = (["SocialWorker"], 1),                               // the organisation has a relationship
        [Caller.PlainOrgAdmin] = (["SocialWorker"], 0),
        [Caller.Newcomer] = (["SocialWorker", "PoliceOfficer", "Teacher", "Newcomer"], 1), // the consent covers them at once
    };

    private static readonly Dictionary<Caller, DemoPartnership.Staff> Staff = new()
    {
        [Caller.SocialWorker] = DemoPartnership.SocialWorker,
        [Caller.TeamManager] = DemoPartnership.TeamManager,
        [Caller.PoliceOfficer] = DemoPartnership.PoliceOfficer,
        [Caller.SexualHealthNurse] = DemoPartnership.SexualHealthNurse,
        [Caller.PoliceSergeant] = DemoPartnership.PoliceSergeant,
        [Caller.RefugeWorker] = DemoPartnership.RefugeWorker,
        [Caller.Dpo] = DemoPartnership.SocialCareDpo,
        [Caller.OrganisationAdmin] = DemoPartnership.PartnershipAdmin,
    };

    private static readonly Dictionary<string, DemoPartnership.Staff> ByName = new()
    {
        ["SocialWorker"] = DemoPartnership.SocialWorker,
        ["PoliceOfficer"] = DemoPartnership.PoliceOfficer,
        ["Teacher"] = DemoPartnership.Teacher,
        ["SexualHealthNurse"] = DemoPartnership.SexualHealthNurse,
    };

    public static TheoryData<string> Endpoints() => [.. Rows().Keys];

    [Theory]
    [MemberData(nameof(Endpoints))]
    public async Task Every_caller_gets_exactly_the_answer_the_table_gives(string endpoint)
    {
        var expected = Rows()[endpoint];
        var wrong = new List<string>();
        // Everyone signs in before the first cell, so no sign-in falls inside a cell's audit count.
        foreach (var caller in Enum.GetValues<Caller>()) await ClientFor(caller);
        foreach (var caller in Enum.GetValues<Caller>())
        {
            var world = await World.CreateAsync(server);
            // A handle is the caller's own view of a masked entry (an HMAC per viewer); callers without one try the officer's.
            var handle = endpoint == "request-contact" ? await OwnHandleAsync(await ClientFor(caller), $"/api/v1/clients/{world.Client}") : null;
            var audited = await server.AuditCountAsync();
            var written = await WrittenAsync(world);
            using var response = await SendAsync(endpoint, caller, world, handle ?? world.OfficersMaskedHandle);
            var status = (int)response.StatusCode;
            var body = await response.Content.ReadAsStringAsync();
            wrong.AddRange(MatrixTable.RouteDifferences(caller.ToString(), Routes[endpoint], response));
            // A refused write changes nothing: no event on the client's stream, no invitation.
            if (status >= 400 && await WrittenAsync(world) != written) wrong.Add($"{caller}: refused with {status}, yet something was written");
            // Every request by someone known leaves exactly one audit entry, allowed or denied; an anonymous one none.
            var entries = await server.AuditCountAsync() - audited;
            if (entries != (caller == Caller.Anonymous ? 0 : 1)) wrong.Add($"{caller}: {entries} audit entries for {status}");
            else if (entries == 1) wrong.AddRange(MatrixTable.AuditDifferences(caller.ToString(), status, await MatrixTable.NewestAuditAsync(server.Schema)));
            if (status != expected[(int)caller])
            {
                wrong.Add($"{caller}: expected {expected[(int)caller]}, got {status} {body}");
                continue;
            }
            if (status >= 400 && status != 401)
                response.Content.Headers.ContentType?.MediaType.ShouldBe("application/problem+json", $"{endpoint} as {caller}: {body}");
            if (endpoint == "team" && status == 200) wrong.AddRange(TeamDifferences(caller, world, body));
        }
        // A wrong 2xx is a leak; a wrong 4xx is a wrongful denial. Both must be zero.
        wrong.ShouldBeEmpty(string.Join(Environment.NewLine, wrong));
    }

    /// <summary>How much the cell's world holds: events on its client's stream and invitations anywhere.</summary>
    private async Task<(long Events, long Invitations)> WrittenAsync(World world)
    {
        await using var connection = new Npgsql.NpgsqlConnection(Patchwork.Testing.LocalServers.PostgresOwner);
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand(
            $"SELECT (SELECT count(*) FROM \"{server.Schema}\".mt_events WHERE stream_id = @client), (SELECT count(*) FROM \"{server.Schema}\".identity_invitation)",
            connection);
        command.Parameters.AddWithValue("client", world.Client);
        await using var row = await command.ExecuteReaderAsync();
        await row.ReadAsync();
        return (row.GetInt64(0), row.GetInt64(1));
    }

    private static IEnumerable<string> TeamDifferences(Caller caller, World world, string body)
    {
        var (visible, masked) = TeamViews[caller];
        var team = JsonDocument.Parse(body).RootElement;
        var seen = team.GetProperty("involvements").EnumerateArray().Select(i => i.GetProperty("involvementId").GetGuid()).Order().ToList();
        var expected = visible.Select(name => world.Involvements[name]).Order().ToList();
        if (!seen.SequenceEqual(expected))
            yield return $"{caller}: team shows {string.Join(", ", seen.Select(world.NameOf))}, expected {string.Join(", ", visible)}";
        var maskedCount = team.GetProperty("masked").GetArrayLength();
        if (maskedCount != masked) yield return $"{caller}: {maskedCount} masked entries, expected {masked}";
        // A masked entry says nothing: its only field is the handle (and the fixed description).
        foreach (var entry in team.GetProperty("masked").EnumerateArray())
            entry.EnumerateObject().Select(p => p.Name).Order().ShouldBe(["description", "handle"]);
    }

    private async Task<HttpResponseMessage> SendAsync(string endpoint, Caller caller, World world, string handle)
    {
        var http = await ClientFor(caller);
        var c = $"/api/v1/clients/{world.Client}";
        var swInvolvement = world.Involvements["SocialWorker"];
        return endpoint switch
        {
            "team" => await http.GetAsync($"{c}/team?purpose=matrix"),
            "search" => await http.GetAsync($"/api/v1/clients?familyName={world.FamilyName}&dateOfBirth=2011-04-17&purpose=matrix"),
            "who-viewed" => await http.GetAsync($"{c}/audit"),
            "export" => await http.GetAsync($"{c}/export?purpose=subject%20access%20request"),
            "export-fhir" => await http.GetAsync($"{c}/export.fhir?purpose=subject%20access%20request"),
            "erase" => await http.PostAsJsonAsync($"{c}/erasure", new { reason = "retention period over" }),
            "register-client" => await http.PostAsJsonAsync("/api/v1/clients", new
            {
                givenNames = "Matrix", familyName = "Registered" + Guid.NewGuid().ToString("N")[..8], dateOfBirth = "2012-01-01", candidatesSeen = true,
            }),
            "record-involvement" => await http.PostAsJsonAsync($"{c}/involvements", World.Involvement("joining", "general")),
            "record-involvement-for-another-org" => await http.PostAsJsonAsync($"{c}/involvements", new
            {
                role = "duty officer", category = "general", start = DateOnly.FromDateTime(DateTime.UtcNow.AddDays(-1)).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
                contact = new { phone = "01632 960998" }, onBehalfOf = DemoPartnership.PoliceOfficer.Id.Value,
            }),
            "end-involvement" => await http.PostAsJsonAsync($"{c}/involvements/{swInvolvement}/end", new { }),
            "change-involvement" => await http.PatchAsJsonAsync($"{c}/involvements/{swInvolvement}", new { role = "team leader" }),
            "record-consent" => await http.PostAsJsonAsync($"{c}/consents", World.Consent(new { sector = "health" })),
            "record-sensitive-consent" => await http.PostAsJsonAsync($"{c}/consents", new
            {
                scope = new { sector = "police" }, categories = new { includesGeneral = true, named = new[] { "sexual health" } },
                givenBy = "client", evidence = new { kind = "verbal", reference = "asked in person" },
            }),
            "withdraw-consent" => await http.PostAsync($"{c}/consents/{world.PoliceConsent}/withdraw", null),
            "record-objection" => await http.PostAsJsonAsync($"{c}/objections", new { scope = new { sector = "housing" } }),
            "withdraw-objection" => await http.PostAsync($"{c}/objections/{world.Objection}/withdraw", null),
            "request-sharing-without-consent" => await http.PostAsJsonAsync($"{c}/sharing-without-consent", new
            {
                lawfulBasis = "safeguardingChild", justification = "risk of significant harm", expiresAt = DateTimeOffset.UtcNow.AddDays(7),
            }),
            "approve-sharing-without-consent" => await http.PostAsync($"{c}/sharing-without-consent/{world.SharingBasis}/approve", null),
            "break-glass" => await http.PostAsJsonAsync($"{c}/break-glass", new { justification = "child missing overnight", durationMinutes = 60 }),
            "raise-attention" => await http.PostAsync($"{c}/attention", null),
            "request-contact" => await http.PostAsJsonAsync($"{c}/contact-requests", new { handle }),
            "answer-contact-request" => await http.PostAsJsonAsync($"{c}/contact-requests/{world.ContactRequest}/answer", new { answer = "accepted" }),
            _ => throw new ArgumentOutOfRangeException(nameof(endpoint), endpoint, "not in the table"),
        };
    }

    internal static async Task<string?> OwnHandleAsync(HttpClient http, string client)
    {
        using var response = await http.GetAsync($"{client}/team?purpose=matrix");
        if (!response.IsSuccessStatusCode) return null;
        var masked = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("masked");
        return masked.GetArrayLength() > 0 ? masked[0].GetProperty("handle").GetString() : null;
    }

    private Task<HttpClient> ClientFor(Caller caller) => ClientForAsync(server, caller);

    /// <summary>The organisation and roles a practitioner caller signs in with; none for the anonymous caller and the partners.</summary>
    internal static (OrganisationId Organisation, Roles Roles)? AccountOf(Caller caller) => caller switch
    {
        _ when Staff.TryGetValue(caller, out var staff) => (staff.Agency.Id, staff.Roles),
        Caller.PlainOrgAdmin => (DemoPartnership.SocialCare.Id, Roles.OrganisationAdmin),
        Caller.UninvolvedDpo => (DemoPartnership.Refuge.Id, Roles.DataProtectionOfficer),
        Caller.Newcomer => (DemoPartnership.Police.Id, Roles.Practitioner),
        _ => null,
    };

    /// <summary>A caller's client: a practitioner's signed-in session, a partner system's token, or nothing at all.</summary>
    internal static async Task<HttpClient> ClientForAsync(ApiServer server, Caller caller)
    {
        ArgumentNullException.ThrowIfNull(server);
        if (Staff.TryGetValue(caller, out var staff)) return await server.AsAsync(staff);
        return caller switch
        {
            Caller.Anonymous => server.Anonymous(),
            Caller.PartnerSame or Caller.PartnerOther => await MatrixTable.PartnerAsync(server, sameOrganisation: caller == Caller.PartnerSame),
            // The callers who are not demo staff: the plain organisation admin, the refuge's DPO and the police newcomer.
            Caller.PlainOrgAdmin => await server.AsAsync(PlainOrgAdminId, DemoPartnership.SocialCare.Id, Roles.OrganisationAdmin),
            Caller.UninvolvedDpo => await server.AsAsync(UninvolvedDpoId, DemoPartnership.Refuge.Id, Roles.DataProtectionOfficer),
            Caller.Newcomer => await server.AsAsync(NewcomerId, DemoPartnership.Police.Id, Roles.Practitioner),
            _ => throw new ArgumentOutOfRangeException(nameof(caller), caller, "no such caller"),
        };
    }

    private static Dictionary<string, int[]> Rows() => MatrixTable.Rows(Table);

    /// <summary>A fresh client with Ellie's team and consents, plus the things some cells act on.</summary>
    internal sealed class World
    {
        public required Guid Client { get; init; }
        public required string FamilyName { get; init; }
        public required Dictionary<string, Guid> Involvements { get; init; }
        public required Guid PoliceConsent { get; init; }
        public required Guid Objection { get; init; }
        public required Guid SharingBasis { get; init; }
        public required string OfficersMaskedHandle { get; init; }
        public required Guid ContactRequest { get; init; }

        public string NameOf(Guid involvement) => Involvements.FirstOrDefault(i => i.Value == involvement).Key ?? involvement.ToString();

        public static object Involvement(string role, string category) => new
        {
            role, category, start = DateOnly.FromDateTime(DateTime.UtcNow.AddDays(-2)).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            contact = new { phone = "01632 960999", email = "someone@wessex.example.org" },
        };

        public static object Consent(object scope) => new
        {
            scope, categories = new { includesGeneral = true, named = Array.Empty<string>() },
            givenBy = "personWithParentalResponsibility", evidence = new { kind = "written", reference = "form 12" },
        };

        public static async Task<World> CreateAsync(ApiServer server)
        {
            var socialWorker = await server.AsAsync(DemoPartnership.SocialWorker);
            var familyName = "Matrix" + Guid.NewGuid().ToString("N")[..10];
            var client = await IdAsync(await socialWorker.PostAsJsonAsync("/api/v1/clients", new
            {
                givenNames = "Ellie", familyName, dateOfBirth = "2011-04-17", candidatesSeen = true,
            }), "clientId");
            var c = $"/api/v1/clients/{client}";
            var involvements = new Dictionary<string, Guid>();
            foreach (var (name, category) in new[] { ("SocialWorker", "general"), ("PoliceOfficer", "general"), ("Teacher", "general"), ("SexualHealthNurse", "sexual health") })
                involvements[name] = await IdAsync(await (await server.AsAsync(ByName[name])).PostAsJsonAsync($"{c}/involvements", Involvement(name, category)), "involvementId");
            involvements["Newcomer"] = await IdAsync(await (await server.AsAsync(NewcomerId, DemoPartnership.Police.Id, Roles.Practitioner))
                .PostAsJsonAsync($"{c}/involvements", Involvement("Newcomer", "general")), "involvementId");
            var policeConsent = await IdAsync(await socialWorker.PostAsJsonAsync($"{c}/consents", Consent(new { sector = "police" })), "id");
            await IdAsync(await socialWorker.PostAsJsonAsync($"{c}/consents", Consent(new { organisationId = DemoPartnership.School.Id.Value })), "id");
            var objection = await IdAsync(await socialWorker.PostAsJsonAsync($"{c}/objections", new { scope = new { sector = "housing" } }), "id");
            var basis = await IdAsync(await socialWorker.PostAsJsonAsync($"{c}/sharing-without-consent", new
            {
                lawfulBasis = "safeguardingChild", justification = "risk of significant harm", expiresAt = DateTimeOffset.UtcNow.AddDays(7),
            }), "id");
            var handle = (await OwnHandleAsync(await server.AsAsync(DemoPartnership.PoliceOfficer), c))!;
            // The request the answer cells act on comes from the school, which is no caller in the table.
            var teacher = await server.AsAsync(DemoPartnership.Teacher);
            var request = await IdAsync(await teacher.PostAsJsonAsync($"{c}/contact-requests", new { handle = await OwnHandleAsync(teacher, c) }), "id");
            return new World
            {
                Client = client, FamilyName = familyName, Involvements = involvements, PoliceConsent = policeConsent, Objection = objection,
                SharingBasis = basis, OfficersMaskedHandle = handle, ContactRequest = request,
            };
        }

        private static async Task<Guid> IdAsync(HttpResponseMessage response, string property)
        {
            var body = await response.Content.ReadAsStringAsync();
            response.StatusCode.ShouldBe(HttpStatusCode.Created, $"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri}: {body}");
            return JsonDocument.Parse(body).RootElement.GetProperty(property).GetGuid();
        }
    }
}
