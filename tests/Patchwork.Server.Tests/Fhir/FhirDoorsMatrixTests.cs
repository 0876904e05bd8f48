using Patchwork.Server.Demo;
using Patchwork.Server.Fhir;
using Patchwork.Server.Tests.Api;
using Patchwork.Server.Tokens;
using static Patchwork.Server.Tests.Api.AuthorizationMatrixTests;

namespace Patchwork.Server.Tests.Fhir;

/// <summary>
/// The FHIR door × the callers of <see cref="AuthorizationMatrixTests"/> (practitioners through the real sign-in, partner
/// systems with real tokens) and one more: a partner system of Social Care granted today's scopes but no FHIR scope.
/// The door knows only partner tokens, so a practitioner's session gets 401, as at the partner probe; the capability
/// statement is public. Each cell gets a fresh client set up like the demo's Ellie, checks the route it reached, and
/// counts its audit entries: one for every partner answered (403 included), none for a 401 or the capability statement.
/// </summary>
public sealed class FhirDoorsMatrixTests(SignedInApiServer server) : IClassFixture<SignedInApiServer>
{
    // 401: no partner token (anonymous, and every practitioner session); 403: a partner token without the search's scope;
    // 404: the policy shows the refuge's organisation nothing of the client, so it does not exist for it.
    //                                 Anon  SW   TM   PO   SHN  Sgt  Ref  DPO  Adm  PtS  PtO  POA  UDPO NC   PtNoFhir
    private const string Table = """
        GET    metadata                 200  200  200  200  200  200  200  200  200  200  200  200  200  200  200
        GET    patient-search           401  401  401  401  401  401  401  401  401  200  200  401  401  401  403
        GET    care-team                401  401  401  401  401  401  401  401  401  200  404  401  401  401  403
        GET    consents                 401  401  401  401  401  401  401  401  401  200  404  401  401  401  403
        """;

    /// <summary>The route each row reaches (checked on every cell's response; read by the route coverage test).</summary>
    internal static readonly Dictionary<string, string> Routes = new()
    {
        ["metadata"] = "GET /fhir/r4/metadata",
        ["patient-search"] = "GET /fhir/r4/Patient",
        ["care-team"] = "GET /fhir/r4/CareTeam",
        ["consents"] = "GET /fhir/r4/Consent",
    };

    private const string PartnerWithoutFhir = "PartnerWithoutFhirScopes";

    private static readonly string[] Columns = [.. Enum.GetNames<Caller>(), PartnerWithoutFhir];

    private HttpClient? _partnerWithoutFhir;

    public static TheoryData<string> Endpoints() => [.. MatrixTable.Rows(Table).Keys];

    [Theory]
    [MemberData(nameof(Endpoints))]
    public async Task Every_caller_gets_exactly_the_answer_the_table_gives(string endpoint)
    {
        var expected = MatrixTable.Rows(Table)[endpoint];
        expected.Length.ShouldBe(Columns.Length);
        var wrong = new List<string>();
        // Everyone signs in (and every token is issued) before the first cell, so none falls inside a cell's audit count.
        foreach (var column in Columns) await ClientAsync(column);
        for (var column = 0; column < Columns.Length; column++)
        {
            var caller = Columns[column];
            var world = await World.CreateAsync(server);
            var http = await ClientAsync(caller);
            var audited = await server.AuditCountAsync();
            using var request = new HttpRequestMessage(HttpMethod.Get, endpoint switch
            {
                "metadata" => "/fhir/r4/metadata",
                "patient-search" => $"/fhir/r4/Patient?identifier={FhirCodes.NhsNumberSystem}|{FhirApiTests.ValidNhsNumber()}",
                "care-team" => $"/fhir/r4/CareTeam?patient={world.Client}",
                "consents" => $"/fhir/r4/Consent?patient=Patient/{world.Client}",
                _ => throw new ArgumentOutOfRangeException(nameof(endpoint), endpoint, "not in the table"),
            });
            request.Headers.Add(FhirApi.PurposeHeader, "matrix");
            using var response = await http.SendAsync(request);
            var status = (int)response.StatusCode;
            var body = await response.Content.ReadAsStringAsync();
            wrong.AddRange(MatrixTable.RouteDifferences(caller, Routes[endpoint], response));
            if (status != expected[column]) wrong.Add($"{caller}: expected {expected[column]}, got {status} {body}");
            if (response.Content.Headers.ContentType?.MediaType != FhirApi.MediaType) wrong.Add($"{caller}: {status} answered as {response.Content.Headers.ContentType}");
            if (status != 200) FhirValidation.ShouldBeValid<Hl7.Fhir.Model.OperationOutcome>(body);

            var entries = await server.AuditCountAsync() - audited;
            var auditedHere = endpoint != "metadata" && status != 401 ? 1 : 0;
            if (entries != auditedHere) wrong.Add($"{caller}: {entries} audit entries for {status}, expected {auditedHere}");
            else if (entries == 1) wrong.AddRange(MatrixTable.AuditDifferences(caller, status, await MatrixTable.NewestAuditAsync(server.Schema)));
        }
        // A wrong 2xx is a leak; a wrong 4xx is a wrongful denial. Both must be zero.
        wrong.ShouldBeEmpty(string.Join(Environment.NewLine, wrong));
    }

    private async Task<HttpClient> ClientAsync(string column) =>
        column == PartnerWithoutFhir
            ? _partnerWithoutFhir ??= await server.AsPartnerOf(DemoPartnership.SocialCare.Id, PartnerScopes.Read, PartnerScopes.InvolvementsWrite, PartnerScopes.ConsentsWrite)
            : await ClientForAsync(server, Enum.Parse<Caller>(column));
}
