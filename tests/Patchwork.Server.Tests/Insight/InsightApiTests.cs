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
            var path = Routes[endpoint]["GET ".Length..];
            wrong.AddRange(await MatrixTable.CellAsync(server, caller, Routes[endpoint], expected[(int)caller],
                () => http.GetAsync(path + "?basis=financial&purpose=Quarterly%20board%20report")));
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
        // Side by side, the partnership's month is withheld wherever an organisation's is "fewer than 5" (SideBySide).
        var checkedMonths = 0;
        foreach (var (measure, index) in all[^1].GetProperty("measures").EnumerateArray().Select((m, i) => (m, i)))
            foreach (var (row, month) in measure.GetProperty("months").EnumerateArray().Select((r, i) => (r, i)))
                if (all.SkipLast(1).Any(o => o.GetProperty("measures")[index].GetProperty("months")[month].GetProperty("thisYear").GetProperty("suppressed").GetBoolean()))
                {
                    row.GetProperty("thisYear").GetProperty("value").ValueKind.ShouldBe(JsonValueKind.Null, $"{measure.GetProperty("measure")} {row.GetProperty("month")}");
                    checkedMonths++;
                }
        checkedMonths.ShouldBeGreaterThan(0, "the demo's history has small cells to protect");

        var dpo = await (await server.AsAsync(DemoPartnership.SocialCareDpo)).GetFromJsonAsync<JsonElement>("/api/v1/insight/access?purpose=Access%20review");
        dpo.GetProperty("organisations").EnumerateArray().Single().GetProperty("measures").EnumerateArray()
            .Select(m => m.GetProperty("measure").GetString()).ShouldBe(["searches", "searchesCasework", "searchesReferral", "searchesSafeguarding", "searchesMeeting", "searchesOther", "refusals", "whoViewedReads", "breakGlassUses", "breakGlassReviewed"]);
    }


    [Fact]
    public async Task Searches_are_counted_by_their_common_purpose_given_by_code_or_words_and_the_rest_as_another_purpose()
    {
        var worker = await server.AsAsync(DemoPartnership.SocialWorker);
        var dpo = await server.AsAsync(DemoPartnership.SocialCareDpo);
        var month = DateTime.UtcNow.ToString("yyyy-MM", System.Globalization.CultureInfo.InvariantCulture);
        async Task<Dictionary<string, JsonElement>> ThisMonthAsync()
        {
            var figures = await dpo.GetFromJsonAsync<JsonElement>($"/api/v1/insight/access?basis=calendar&year={DateTime.UtcNow.Year}&purpose=Access%20review");
            return figures.GetProperty("organisations")[0].GetProperty("measures").EnumerateArray().ToDictionary(
                m => m.GetProperty("measure").GetString()!,
                m => m.GetProperty("months").EnumerateArray().Single(r => r.GetProperty("month").GetString() == month).GetProperty("thisYear"));
        }
        var before = await ThisMonthAsync();
        before["searchesSafeguarding"].GetProperty("value").GetInt32().ShouldBe(0, "no search in this server has stated a safeguarding concern yet");

        foreach (var purpose in new[] { "safeguarding", "Safeguarding concern", "SAFEGUARDING", " safeguarding concern ", "Safeguarding" })
            (await worker.GetAsync($"/api/v1/clients?familyName=Nobody-Here&dateOfBirth=2011-04-17&purpose={Uri.EscapeDataString(purpose)}")).StatusCode.ShouldBe(HttpStatusCode.OK);
        foreach (var _ in Enumerable.Range(0, 5))
            (await worker.GetAsync("/api/v1/clients?familyName=Nobody-Here&dateOfBirth=2011-04-17&purpose=Checking%20an%20address%20before%20a%20visit")).StatusCode.ShouldBe(HttpStatusCode.OK);

        var after = await ThisMonthAsync();
        after["searchesSafeguarding"].GetProperty("value").GetInt32().ShouldBe(5, "code and words, in any case, count as the common purpose");
        var other = after["searchesOther"];
        other.GetProperty("suppressed").GetBoolean().ShouldBeFalse();
        (other.GetProperty("value").GetInt32() - (before["searchesOther"].TryGetProperty("value", out var was) && was.ValueKind == JsonValueKind.Number ? was.GetInt32() : 0))
            .ShouldBeGreaterThanOrEqualTo(5, "purposes written in words count as another purpose");
        after["searchesReferral"].GetProperty("value").GetInt32().ShouldBe(0);
        var searches = after["searches"].GetProperty("value").GetInt32();
        searches.ShouldBe(new[] { "searchesCasework", "searchesReferral", "searchesSafeguarding", "searchesMeeting", "searchesOther" }
            .Sum(k => after[k].TryGetProperty("value", out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt32() : 0), "every search is in one purpose");
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
        // The medians are in the download as on the page, time to a DPO's review of break-glass among them.
        lines.ShouldContain(l => l.Contains("\"The partnership\"", StringComparison.Ordinal) && l.Contains("data protection officer's review", StringComparison.Ordinal)
            && l.Contains("\"median 2026\"", StringComparison.Ordinal));

        using var xlsx = await admin.GetAsync("/api/v1/insight/activity.xlsx?basis=calendar&year=2026&purpose=Analysis");
        xlsx.StatusCode.ShouldBe(HttpStatusCode.OK);
        using var workbook = new XLWorkbook(new MemoryStream(await xlsx.Content.ReadAsByteArrayAsync()));
        var sheet = workbook.Worksheet("Figures");
        sheet.Cell(1, 1).GetString().ShouldBe("Organisation");
        sheet.RowsUsed().Count().ShouldBe(lines.Length);
    }
}
