using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ClosedXML.Excel;
using Patchwork.Server.Demo;
using Patchwork.Server.Tests.Api;
using static Patchwork.Server.Tests.Api.AuthorizationMatrixTests;

namespace Patchwork.Server.Tests.Insight;

/// <summary>
/// Who sees which figures (issue 23): a manager their organisation's activity, a DPO their organisation's access figures, a
/// partnership admin every organisation's; everyone else 404 (partner systems are stopped at the API's door, 403, as on
/// every practitioners-only endpoint). One audit entry per request, with the stated purpose. Through the real sign-in.
/// </summary>
public sealed class InsightApiTests(SignedInApiServer server) : IClassFixture<SignedInApiServer>
{
    //                                   Anon  SW   TM   PO   SHN  Sgt  Ref  DPO  Adm  PtS  PtO  POA  UDPO NC
    private const string Table = """
        GET    activity                   401  404  200  404  404  200  404  404  200  403  403  404  404  404
        GET    activity-csv               401  404  200  404  404  200  404  404  200  403  403  404  404  404
        GET    activity-xlsx              401  404  200  404  404  200  404  404  200  403  403  404  404  404
        GET    access                     401  404  404  404  404  404  404  200  200  403  403  404  200  404
        GET    access-csv                 401  404  404  404  404  404  404  200  200  403  403  404  200  404
        GET    access-xlsx                401  404  404  404  404  404  404  200  200  403  403  404  200  404
        """;

    internal static readonly Dictionary<string, string> Routes = new()
    {
        ["activity"] = "GET /api/v1/insight/activity",
        ["activity-csv"] = "GET /api/v1/insight/activity.csv",
        ["activity-xlsx"] = "GET /api/v1/insight/activity.xlsx",
        ["access"] = "GET /api/v1/insight/access",
        ["access-csv"] = "GET /api/v1/insight/access.csv",
        ["access-xlsx"] = "GET /api/v1/insight/access.xlsx",
    };

    public static TheoryData<string> Endpoints() => [.. MatrixTable.Rows(Table).Keys];

    [Theory]
    [MemberData(nameof(Endpoints))]
    public async Task Every_caller_gets_exactly_the_answer_the_table_gives(string endpoint)
    {
        var expected = MatrixTable.Rows(Table)[endpoint];
        var wrong = new List<string>();
        foreach (var caller in Enum.GetValues<Caller>()) await AuthorizationMatrixTests.ClientForAsync(server, caller);
        foreach (var caller in Enum.GetValues<Caller>())
        {
            var http = await AuthorizationMatrixTests.ClientForAsync(server, caller);
            var audited = await server.AuditCountAsync();
            var path = Routes[endpoint]["GET ".Length..];
            using var response = await http.GetAsync(path + "?basis=financial&purpose=Quarterly%20board%20report");
            var status = (int)response.StatusCode;
            var body = await response.Content.ReadAsStringAsync();
            wrong.AddRange(MatrixTable.RouteDifferences(caller.ToString(), Routes[endpoint], response));
            var entries = await server.AuditCountAsync() - audited;
            if (entries != (caller == Caller.Anonymous ? 0 : 1)) wrong.Add($"{caller}: {entries} audit entries for {status}");
            else if (entries == 1) wrong.AddRange(MatrixTable.AuditDifferences(caller.ToString(), status, await MatrixTable.NewestAuditAsync(server.Schema)));
            if (status != expected[(int)caller]) wrong.Add($"{caller}: expected {expected[(int)caller]}, got {status} {body}");
            else if (status >= 400 && status != 401) response.Content.Headers.ContentType?.MediaType.ShouldBe("application/problem+json", $"{endpoint} as {caller}");
        }
        wrong.ShouldBeEmpty(string.Join(Environment.NewLine, wrong));
    }

    [Fact]
    public async Task The_OpenAPI_document_says_exactly_what_each_insight_endpoint_answers()
    {
        var paths = (await server.Anonymous().GetFromJsonAsync<JsonElement>("/openapi/v1.json")).GetProperty("paths");
        foreach (var view in new[] { "activity", "access" })
        {
            var json = paths.GetProperty($"/api/v1/insight/{view}").GetProperty("get");
            json.GetProperty("parameters").EnumerateArray().Select(p => p.GetProperty("name").GetString()).ShouldBe(["basis", "year", "purpose"], ignoreOrder: true);
            var responses = json.GetProperty("responses");
            // The document adds the problems every operation can answer (401, 429, 503, …) beside the endpoint's own.
            foreach (var status in new[] { "200", "400", "404" }) responses.TryGetProperty(status, out _).ShouldBeTrue($"{view} documents {status}");
            responses.GetProperty("200").GetProperty("content").GetProperty("application/json").GetProperty("schema").GetProperty("$ref").GetString()
                .ShouldEndWith("/InsightView");
            var csv = paths.GetProperty($"/api/v1/insight/{view}.csv").GetProperty("get").GetProperty("responses");
            csv.GetProperty("200").GetProperty("content").TryGetProperty("text/csv", out _).ShouldBeTrue();
            paths.GetProperty($"/api/v1/insight/{view}.xlsx").GetProperty("get").GetProperty("responses").GetProperty("200").GetProperty("content")
                .TryGetProperty("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", out _).ShouldBeTrue();
        }
    }

    [Fact]
    public async Task A_manager_sees_only_their_organisation_and_the_partnership_admin_every_organisation_beside_the_partnership()
    {
        var manager = await (await server.AsAsync(DemoPartnership.TeamManager)).GetFromJsonAsync<JsonElement>(
            "/api/v1/insight/activity?basis=calendar&year=2026&purpose=Team%20review");
        var own = manager.GetProperty("organisations").EnumerateArray().ToList();
        own.Count.ShouldBe(1);
        own[0].GetProperty("organisationId").GetGuid().ShouldBe(DemoPartnership.SocialCare.Id.Value);
        manager.GetProperty("year").GetString().ShouldBe("2026");
        own[0].GetProperty("measures")[0].GetProperty("months").GetArrayLength().ShouldBe(12);

        var admin = await (await server.AsAsync(DemoPartnership.PartnershipAdmin)).GetFromJsonAsync<JsonElement>(
            "/api/v1/insight/activity?basis=financial&year=2026&purpose=Board%20report");
        admin.GetProperty("year").GetString().ShouldBe("2026/27");
        var all = admin.GetProperty("organisations").EnumerateArray().ToList();
        all.Count.ShouldBeGreaterThan(2);
        all[^1].GetProperty("organisationId").ValueKind.ShouldBe(JsonValueKind.Null, "the partnership's figures come last");
        all[^1].GetProperty("measures")[0].GetProperty("months")[0].GetProperty("month").GetString().ShouldBe("2026-04");

        var dpo = await (await server.AsAsync(DemoPartnership.SocialCareDpo)).GetFromJsonAsync<JsonElement>("/api/v1/insight/access?purpose=Access%20review");
        dpo.GetProperty("organisations").EnumerateArray().Single().GetProperty("measures").EnumerateArray()
            .Select(m => m.GetProperty("measure").GetString()).ShouldBe(["searches", "refusals", "whoViewedReads", "breakGlassUses"]);
    }

    [Fact]
    public async Task Bad_input_gets_a_problem_naming_the_field_and_the_downloads_are_a_csv_and_a_spreadsheet()
    {
        var admin = await server.AsAsync(DemoPartnership.PartnershipAdmin);
        async Task<string> FieldOf(string query)
        {
            using var response = await admin.GetAsync("/api/v1/insight/activity" + query);
            response.StatusCode.ShouldBe(HttpStatusCode.BadRequest, await response.Content.ReadAsStringAsync());
            return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").EnumerateObject().Single().Name;
        }
        (await FieldOf("?basis=weekly&purpose=x")).ShouldBe("basis");
        (await FieldOf("?year=1066&purpose=x")).ShouldBe("year");
        (await FieldOf("?basis=calendar")).ShouldBe("purpose");
        (await FieldOf("?purpose=%00")).ShouldBe("purpose");
        using (var notANumber = await admin.GetAsync("/api/v1/insight/activity?year=soon&purpose=x"))
            ((int)notANumber.StatusCode).ShouldBe(400, "a year that is no number is the caller's fault, never a 500");

        using var csv = await admin.GetAsync("/api/v1/insight/activity.csv?basis=calendar&year=2026&purpose=Analysis");
        csv.StatusCode.ShouldBe(HttpStatusCode.OK);
        csv.Content.Headers.ContentType!.MediaType.ShouldBe("text/csv");
        var lines = (await csv.Content.ReadAsStringAsync()).TrimStart('\uFEFF').Split('\n', StringSplitOptions.RemoveEmptyEntries);
        lines[0].Trim().ShouldBe("organisation,measure,month,this_year,last_year_month,last_year,change");
        lines.ShouldContain(l => l.Contains("\"The partnership\"", StringComparison.Ordinal) && l.Contains("\"2026-01\"", StringComparison.Ordinal));

        using var xlsx = await admin.GetAsync("/api/v1/insight/activity.xlsx?basis=calendar&year=2026&purpose=Analysis");
        xlsx.StatusCode.ShouldBe(HttpStatusCode.OK);
        using var workbook = new XLWorkbook(new MemoryStream(await xlsx.Content.ReadAsByteArrayAsync()));
        var sheet = workbook.Worksheet("Figures");
        sheet.Cell(1, 1).GetString().ShouldBe("Organisation");
        sheet.RowsUsed().Count().ShouldBe(lines.Length);
    }
}
