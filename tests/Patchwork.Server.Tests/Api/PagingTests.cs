using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Patchwork.Server.Demo;

namespace Patchwork.Server.Tests.Api;

/// <summary>
/// Every list answers one page at a time (issue 19, point 12): a list longer than the page gives the page and the way to
/// the next (a Link header, and a cursor in the body where the body is an object), and the pages together are the list.
/// </summary>
public sealed class PagingTests(ApiServer server) : IClassFixture<ApiServer>
{
    [Fact]
    public async Task Agreements_come_a_page_at_a_time_with_a_link_to_the_next_and_the_pages_make_the_whole_list()
    {
        var admin = server.As(DemoPartnership.PartnershipAdmin);
        for (var n = 0; n < 3; n++)
        {
            using var made = await admin.PostAsJsonAsync("/api/v1/agreements", new
            {
                name = $"Paged agreement {n}", members = new[] { DemoPartnership.SocialCare.Id.Value, DemoPartnership.Health.Id.Value },
                categories = new { includesGeneral = true, named = Array.Empty<string>() }, start = DateOnly.FromDateTime(DateTime.UtcNow),
            });
            made.StatusCode.ShouldBe(HttpStatusCode.Created, await made.Content.ReadAsStringAsync());
        }
        var whole = Ids(await admin.GetFromJsonAsync<JsonElement>("/api/v1/agreements?limit=200"));
        whole.Count.ShouldBeGreaterThan(2);

        var paged = new List<Guid>();
        var next = "/api/v1/agreements?limit=2";
        var pages = 0;
        while (next is not null)
        {
            using var page = await admin.GetAsync(next);
            page.StatusCode.ShouldBe(HttpStatusCode.OK, await page.Content.ReadAsStringAsync());
            var ids = Ids(await page.Content.ReadFromJsonAsync<JsonElement>());
            ids.Count.ShouldBeLessThanOrEqualTo(2);
            paged.AddRange(ids);
            next = NextLink(page);
            pages++;
            pages.ShouldBeLessThan(50);
        }
        paged.ShouldBe(whole, "the pages, in order, are the list");
        pages.ShouldBe((whole.Count + 1) / 2);

        foreach (var bad in new[] { "limit=0", "limit=201", $"after={Guid.NewGuid()}" })
        {
            using var refused = await admin.GetAsync("/api/v1/agreements?" + bad);
            refused.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
            (await refused.Content.ReadAsStringAsync()).ShouldContain(bad.Split('=')[0]);
        }
    }

    [Fact]
    public async Task Search_results_come_a_page_at_a_time()
    {
        var socialWorker = server.As(DemoPartnership.SocialWorker);
        foreach (var family in new[] { "Pagerton", "Pagewell", "Pageford" })
        {
            using var registered = await socialWorker.PostAsJsonAsync("/api/v1/clients", new
            {
                givenNames = "Robin", familyName = family, dateOfBirth = "2012-05-06", postcode = "PG1 2AB", candidatesSeen = true,
            });
            registered.StatusCode.ShouldBe(HttpStatusCode.Created, await registered.Content.ReadAsStringAsync());
        }

        using var first = await socialWorker.GetAsync("/api/v1/clients?postcode=PG1%202AB&purpose=paging&limit=2");
        first.StatusCode.ShouldBe(HttpStatusCode.OK, await first.Content.ReadAsStringAsync());
        var body = await first.Content.ReadFromJsonAsync<JsonElement>();
        body.GetProperty("matches").GetArrayLength().ShouldBe(2);
        var after = body.GetProperty("nextAfter").GetGuid();
        var link = NextLink(first).ShouldNotBeNull();
        link.ShouldContain($"after={after}");
        link.ShouldContain("purpose=paging");

        using var second = await socialWorker.GetAsync(link);
        var rest = await second.Content.ReadFromJsonAsync<JsonElement>();
        rest.GetProperty("matches").GetArrayLength().ShouldBe(1);
        rest.GetProperty("nextAfter").ValueKind.ShouldBe(JsonValueKind.Null);
        NextLink(second).ShouldBeNull();
        var all = body.GetProperty("matches").EnumerateArray().Concat(rest.GetProperty("matches").EnumerateArray())
            .Select(m => m.GetProperty("familyName").GetString()).Order().ToList();
        all.ShouldBe(["Pageford", "Pagerton", "Pagewell"]);
    }

    [Fact]
    public async Task The_subject_access_export_pages_its_access_log()
    {
        var socialWorker = server.As(DemoPartnership.SocialWorker);
        using var registered = await socialWorker.PostAsJsonAsync("/api/v1/clients", new
        {
            givenNames = "Sky", familyName = "Exportpage" + Guid.NewGuid().ToString("N")[..6], dateOfBirth = "2010-01-02", candidatesSeen = true,
        });
        var client = (await registered.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("clientId").GetGuid();
        var admin = server.As(DemoPartnership.PartnershipAdmin);

        var entries = new List<Guid>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var page = await admin.GetFromJsonAsync<JsonElement>($"/api/v1/clients/{client}/export?purpose=subject%20access%20request&limit=1" + (cursor is null ? "" : "&cursor=" + cursor));
            page.GetProperty("identity").GetProperty("givenNames").GetString().ShouldBe("Sky", "the record comes whole on every page");
            page.GetProperty("audit").GetArrayLength().ShouldBeLessThanOrEqualTo(1);
            entries.AddRange(page.GetProperty("audit").EnumerateArray().Select(e => e.GetProperty("id").GetGuid()));
            cursor = page.GetProperty("auditNextCursor").GetString();
            pages++;
        }
        while (cursor is not null && pages < 20);
        pages.ShouldBeLessThan(20, "paging ends although every page adds an entry");
        entries.Count.ShouldBeGreaterThanOrEqualTo(2, "the registration and the export itself, one page each");
        entries.ShouldBeUnique();

        using var tooMany = await admin.GetAsync($"/api/v1/clients/{client}/export?purpose=subject%20access%20request&limit=100000");
        tooMany.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
    }

    private static List<Guid> Ids(JsonElement list) => [.. list.EnumerateArray().Select(a => a.GetProperty("agreementId").GetGuid())];

    private static string? NextLink(HttpResponseMessage response) =>
        response.Headers.TryGetValues("Link", out var links)
            ? links.Select(l => l.Split(';')).Where(p => p.Length > 1 && p[1].Trim() == "rel=\"next\"").Select(p => p[0].Trim().TrimStart('<').TrimEnd('>')).SingleOrDefault()
            : null;
}
