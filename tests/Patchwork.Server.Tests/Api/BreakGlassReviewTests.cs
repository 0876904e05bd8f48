using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Patchwork.Server.Demo;
using static Patchwork.Server.Tests.Api.AuthorizationMatrixTests;

namespace Patchwork.Server.Tests.Api;

/// <summary>
/// The break-glass review queue: a DPO lists their own organisation's uses of break-glass with each justification and
/// records a finding once; everyone else gets 404 as if there were no queue (partner systems 403 at the API's door).
/// Through the real sign-in; one audit entry per request.
/// </summary>
public sealed class BreakGlassReviewTests(SignedInApiServer server) : IClassFixture<SignedInApiServer>
{
    // Social Care's social worker broke glass on a fresh client for each cell; only Social Care's DPO reviews it.
    //                                   Anon  SW   TM   PO   SHN  Sgt  Ref  DPO  Adm  PtS  PtO  POA  UDPO NC
    private const string Table = """
        GET    queue                      401  404  404  404  404  404  404  200  404  403  403  404  200  404
        POST   review                     401  404  404  404  404  404  404  200  404  403  403  404  404  404
        """;

    internal static readonly Dictionary<string, string> Routes = new()
    {
        ["queue"] = "GET /api/v1/break-glass/reviews",
        ["review"] = "POST /api/v1/clients/{clientId}/break-glass/{grantId}/review",
    };

    public static TheoryData<string> Endpoints() => [.. MatrixTable.Rows(Table).Keys];

    [Theory]
    [MemberData(nameof(Endpoints))]
    public async Task Every_caller_gets_exactly_the_answer_the_table_gives(string endpoint)
    {
        var expected = MatrixTable.Rows(Table)[endpoint];
        var wrong = new List<string>();
        foreach (var caller in Enum.GetValues<Caller>())
        {
            var (client, grant) = await BrokenGlassAsync("Unconscious at the roadside; no family reachable");
            var http = await ClientForAsync(server, caller);
            wrong.AddRange(await MatrixTable.CellAsync(server, caller, Routes[endpoint], expected[(int)caller], () => endpoint == "queue"
                ? http.GetAsync("/api/v1/break-glass/reviews")
                : http.PostAsJsonAsync($"/api/v1/clients/{client}/break-glass/{grant}/review", new { finding = "justified" })));
        }
        wrong.ShouldBeEmpty(string.Join(Environment.NewLine, wrong));
    }

    [Fact]
    public async Task A_DPO_reads_the_justification_records_a_finding_once_and_the_use_leaves_the_queue()
    {
        var (client, grant) = await BrokenGlassAsync("Child found alone at night; police asked who knows her");
        var dpo = await server.AsAsync(DemoPartnership.SocialCareDpo);

        var pending = await UsesAsync(dpo, "pending");
        var use = pending.Single(u => u.GetProperty("grant").GetGuid() == grant);
        use.GetProperty("client").GetGuid().ShouldBe(client);
        use.GetProperty("practitioner").GetGuid().ShouldBe(DemoPartnership.SocialWorker.Id.Value);
        use.GetProperty("justification").GetString().ShouldBe("Child found alone at night; police asked who knows her");
        use.GetProperty("review").ValueKind.ShouldBe(JsonValueKind.Null);

        var review = $"/api/v1/clients/{client}/break-glass/{grant}/review";
        using (var bad = await dpo.PostAsJsonAsync(review, new { finding = "fine" }))
        {
            bad.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
            (await bad.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").EnumerateObject().Single().Name.ShouldBe("finding");
        }
        using (var done = await dpo.PostAsJsonAsync(review, new { finding = "not-justified" }))
        {
            done.StatusCode.ShouldBe(HttpStatusCode.OK, await done.Content.ReadAsStringAsync());
            var body = await done.Content.ReadFromJsonAsync<JsonElement>();
            body.GetProperty("finding").GetString().ShouldBe("not-justified");
            body.GetProperty("reviewer").GetGuid().ShouldBe(DemoPartnership.SocialCareDpo.Id.Value);
        }
        using (var again = await dpo.PostAsJsonAsync(review, new { finding = "justified" }))
            again.StatusCode.ShouldBe(HttpStatusCode.Conflict, "a use is reviewed once");

        (await UsesAsync(dpo, "pending")).ShouldNotContain(u => u.GetProperty("grant").GetGuid() == grant);
        var reviewed = (await UsesAsync(dpo, "reviewed")).Single(u => u.GetProperty("grant").GetGuid() == grant);
        reviewed.GetProperty("review").GetProperty("finding").GetString().ShouldBe("not-justified");
        using (var badState = await dpo.GetAsync("/api/v1/break-glass/reviews?state=later"))
            badState.StatusCode.ShouldBe(HttpStatusCode.BadRequest);

        // Another organisation's DPO has a queue of their own, without it.
        (await UsesAsync(await ClientForAsync(server, Caller.UninvolvedDpo), "pending")).ShouldNotContain(u => u.GetProperty("grant").GetGuid() == grant);
    }

    [Fact]
    public async Task Nobody_reviews_their_own_use_of_break_glass()
    {
        var dpo = await server.AsAsync(DemoPartnership.SocialCareDpo);
        var (client, grant) = await BrokenGlassAsync("Own emergency", dpo);
        using var own = await dpo.PostAsJsonAsync($"/api/v1/clients/{client}/break-glass/{grant}/review", new { finding = "justified" });
        own.StatusCode.ShouldBe(HttpStatusCode.Forbidden);
    }

    private async Task<List<JsonElement>> UsesAsync(HttpClient http, string state)
    {
        var page = await http.GetFromJsonAsync<JsonElement>($"/api/v1/break-glass/reviews?state={state}");
        return [.. page.GetProperty("uses").EnumerateArray()];
    }

    /// <summary>A fresh client, registered by Social Care's social worker, on whom <paramref name="by"/> (the social worker) breaks glass.</summary>
    private async Task<(Guid Client, Guid Grant)> BrokenGlassAsync(string justification, HttpClient? by = null)
    {
        var socialWorker = await server.AsAsync(DemoPartnership.SocialWorker);
        using var registered = await socialWorker.PostAsJsonAsync("/api/v1/clients", new
        {
            givenNames = "Robin", familyName = "Review" + Guid.NewGuid().ToString("N")[..10], dateOfBirth = "2012-05-01", candidatesSeen = true,
        });
        registered.StatusCode.ShouldBe(HttpStatusCode.Created, await registered.Content.ReadAsStringAsync());
        var client = (await registered.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("clientId").GetGuid();
        using var broke = await (by ?? socialWorker).PostAsJsonAsync($"/api/v1/clients/{client}/break-glass", new { justification });
        broke.StatusCode.ShouldBe(HttpStatusCode.Created, await broke.Content.ReadAsStringAsync());
        return (client, (await broke.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("grantId").GetGuid());
    }
}
