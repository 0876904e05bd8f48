using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Patchwork.Core;
using Patchwork.Server.Demo;
using static Patchwork.Server.Tests.Api.AuthorizationMatrixTests;

namespace Patchwork.Server.Tests.Api;

/// <summary>
/// Sharing agreements through the API: every endpoint × every kind of caller against a literal table (DESIGN.md §2: a
/// partnership admin makes and ends agreements; admins and DPOs read those of their organisation), one audit entry per
/// request, and field-level problems for bad input. Practitioners sign in for real (<see cref="SignedInApiServer"/>).
/// </summary>
public sealed class AgreementsApiTests(SignedInApiServer server) : IClassFixture<SignedInApiServer>
{
    //                                   Anon  SW   TM   PO   SHN  Sgt  Ref  DPO  Adm  PtS  PtO  POA  UDPO NC
    private const string Table = """
        GET    list-agreements            401  403  403  403  403  403  403  200  200  403  403  200  200  403
        POST   make-agreement             401  403  403  403  403  403  403  403  201  403  403  403  403  403
        POST   end-agreement              401  403  403  403  403  403  403  403  204  403  403  403  403  403
        """;

    /// <summary>The route each row reaches (checked on every cell's response; read by the route coverage test).</summary>
    internal static readonly Dictionary<string, string> Routes = new()
    {
        ["list-agreements"] = "GET /api/v1/agreements",
        ["make-agreement"] = "POST /api/v1/agreements",
        ["end-agreement"] = "POST /api/v1/agreements/{agreementId:guid}/end",
    };

    public static TheoryData<string> Endpoints() => [.. MatrixTable.Rows(Table).Keys];

    [Theory]
    [MemberData(nameof(Endpoints))]
    public async Task Every_caller_gets_exactly_the_answer_the_table_gives(string endpoint)
    {
        var expected = MatrixTable.Rows(Table)[endpoint];
        var wrong = new List<string>();
        // Everyone signs in before the first cell, so no sign-in falls inside a cell's audit count.
        foreach (var caller in Enum.GetValues<Caller>()) await ClientForAsync(caller);
        foreach (var caller in Enum.GetValues<Caller>())
        {
            // Each cell that ends an agreement ends one of its own, made by the partnership admin just before.
            var agreement = endpoint == "end-agreement" ? await MakeAsync(Body("Cell agreement", DemoPartnership.SocialCare, DemoPartnership.Police)) : Guid.Empty;
            var http = await ClientForAsync(caller);
            wrong.AddRange(await MatrixTable.CellAsync(server, caller, Routes[endpoint], expected[(int)caller], () => endpoint switch
            {
                "list-agreements" => http.GetAsync("/api/v1/agreements"),
                "make-agreement" => http.PostAsJsonAsync("/api/v1/agreements", Body("Made by " + caller, DemoPartnership.SocialCare, DemoPartnership.Health)),
                _ => http.PostAsync($"/api/v1/agreements/{agreement}/end", null),
            }));
        }
        wrong.ShouldBeEmpty(string.Join(Environment.NewLine, wrong));
    }

    [Fact]
    public async Task A_DPO_reads_only_the_agreements_their_organisation_signed_and_the_partnership_admin_reads_all()
    {
        var elsewhere = await MakeAsync(Body("Police and health only", DemoPartnership.Police, DemoPartnership.Health));
        var ours = await MakeAsync(Body("Social care and police", DemoPartnership.SocialCare, DemoPartnership.Police));

        var dpos = await ListAsync(await server.AsAsync(DemoPartnership.SocialCareDpo));
        dpos.ShouldContain(ours);
        dpos.ShouldNotContain(elsewhere);
        var admins = await ListAsync(await server.AsAsync(DemoPartnership.PartnershipAdmin));
        admins.ShouldContain(ours);
        admins.ShouldContain(elsewhere);

        var listed = (await (await server.AsAsync(DemoPartnership.PartnershipAdmin)).GetFromJsonAsync<JsonElement>("/api/v1/agreements"))
            .EnumerateArray().Single(a => a.GetProperty("agreementId").GetGuid() == ours);
        listed.GetProperty("name").GetString().ShouldBe("Social care and police");
        listed.GetProperty("members").EnumerateArray().Select(m => m.GetProperty("name").GetString()).ShouldBe(
            new[] { DemoPartnership.SocialCare.Name, DemoPartnership.Police.Name }.Order(StringComparer.OrdinalIgnoreCase));
        listed.GetProperty("active").GetBoolean().ShouldBeTrue();
    }

    [Fact]
    public async Task Bad_input_gets_a_problem_naming_the_field_and_an_agreement_ends_once()
    {
        var admin = await server.AsAsync(DemoPartnership.PartnershipAdmin);
        async Task<string?> FieldOf(object body)
        {
            using var response = await admin.PostAsJsonAsync("/api/v1/agreements", body);
            response.StatusCode.ShouldBe(HttpStatusCode.BadRequest, await response.Content.ReadAsStringAsync());
            return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").EnumerateObject().Single().Name;
        }
        var today = DateOnly.FromDateTime(DateTime.UtcNow);
        (await FieldOf(new { name = "One member", members = new[] { DemoPartnership.Police.Id.Value }, categories = new { includesGeneral = true }, start = today })).ShouldBe("members");
        (await FieldOf(new { name = "No categories", members = Members(DemoPartnership.Police, DemoPartnership.Health), start = today })).ShouldBe("categories");
        (await FieldOf(new { name = "Astrology", members = Members(DemoPartnership.Police, DemoPartnership.Health), categories = new { includesGeneral = false, named = new[] { "astrology" } }, start = today })).ShouldBe("categories");
        (await FieldOf(new { name = " ", members = Members(DemoPartnership.Police, DemoPartnership.Health), categories = new { includesGeneral = true }, start = today })).ShouldBe("name");
        (await FieldOf(new { name = "No start", members = Members(DemoPartnership.Police, DemoPartnership.Health), categories = new { includesGeneral = true } })).ShouldBe("start");
        (await FieldOf(new { name = "Backwards", members = Members(DemoPartnership.Police, DemoPartnership.Health), categories = new { includesGeneral = true }, start = today, end = today.AddDays(-1) })).ShouldBe("end");
        (await FieldOf(new { name = "Unknown member", members = new[] { DemoPartnership.Police.Id.Value, Guid.NewGuid() }, categories = new { includesGeneral = true }, start = today })).ShouldBe("members");

        (await admin.PostAsync($"/api/v1/agreements/{Guid.NewGuid()}/end", null)).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        var agreement = await MakeAsync(Body("Ends once", DemoPartnership.Police, DemoPartnership.Health));
        (await admin.PostAsync($"/api/v1/agreements/{agreement}/end", null)).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        (await admin.PostAsync($"/api/v1/agreements/{agreement}/end", null)).StatusCode.ShouldBe(HttpStatusCode.Conflict);
        var ended = (await admin.GetFromJsonAsync<JsonElement>("/api/v1/agreements")).EnumerateArray().Single(a => a.GetProperty("agreementId").GetGuid() == agreement);
        ended.GetProperty("active").GetBoolean().ShouldBeFalse();
        ended.GetProperty("endedAt").ValueKind.ShouldBe(JsonValueKind.String);
    }

    private static Guid[] Members(params DemoPartnership.Agency[] agencies) => [.. agencies.Select(a => a.Id.Value)];

    private static object Body(string name, params DemoPartnership.Agency[] members) => new
    {
        name, members = Members(members), categories = new { includesGeneral = true, named = Array.Empty<string>() },
        start = DateOnly.FromDateTime(DateTime.UtcNow), end = (DateOnly?)null,
    };

    private async Task<Guid> MakeAsync(object body)
    {
        using var response = await (await server.AsAsync(DemoPartnership.PartnershipAdmin)).PostAsJsonAsync("/api/v1/agreements", body);
        response.StatusCode.ShouldBe(HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("agreementId").GetGuid();
    }

    private static async Task<List<Guid>> ListAsync(HttpClient http) =>
        [.. (await http.GetFromJsonAsync<JsonElement>("/api/v1/agreements")).EnumerateArray().Select(a => a.GetProperty("agreementId").GetGuid())];

    private Task<HttpClient> ClientForAsync(Caller caller) => AuthorizationMatrixTests.ClientForAsync(server, caller);
}
