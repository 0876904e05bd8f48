using Microsoft.Playwright;
using Npgsql;
using Patchwork.Server.Demo;
using Patchwork.Testing;
using Patchwork.Web.Pages;

namespace Patchwork.Web.Tests;

/// <summary>Lists that grow with the data are paged, newest first, so that no page outgrows the budget (issue 25).</summary>
public sealed class PagingTests(WebServer server) : IClassFixture<WebServer>
{
    [Fact]
    public async Task A_busy_practitioners_notifications_come_25_to_a_page_newest_first_with_links_either_side()
    {
        const int notices = 60;
        await using var browser = await server.NewContextAsync();
        var page = await browser.NewPageAsync();
        await page.SignsInForTheFirstTimeAsync(DemoPartnership.SchoolNurse);
        await GivenNoticesAsync(DemoPartnership.SchoolNurse, notices);

        await page.GotoAsync("/notifications");
        var rows = page.Locator("#notifications tbody tr");
        (await rows.CountOnceLoadedAsync()).ShouldBe(25);
        var first = await PositionsAsync(rows);
        first.ShouldBe(first.OrderDescending().ToList(), "newest first");
        (await page.GetByRole(AriaRole.Link, new() { Name = "Previous page" }).CountAsync()).ShouldBe(0);
        await PageChecks.CheckAsync(page, "notifications-page-1");

        await page.GetByRole(AriaRole.Link, new() { Name = "Next page" }).ClickAsync();
        await page.WaitForURLAsync("**/notifications?page=2");
        (await rows.CountOnceLoadedAsync()).ShouldBe(25);
        var second = await PositionsAsync(rows);
        second.ShouldBe(second.OrderDescending().ToList());
        second[0].ShouldBeLessThan(first[^1], "page 2 goes on where page 1 stopped");

        await page.GetByRole(AriaRole.Link, new() { Name = "Next page" }).ClickAsync();
        await page.WaitForURLAsync("**/notifications?page=3");
        (await rows.CountOnceLoadedAsync()).ShouldBe(notices - 50);
        (await page.GetByRole(AriaRole.Link, new() { Name = "Next page" }).CountAsync()).ShouldBe(0, "the last page has no next");
        await PageChecks.CheckAsync(page, "notifications-page-3");

        await page.GotoAsync("/notifications?page=nonsense");
        (await rows.CountOnceLoadedAsync()).ShouldBe(25, "a page number that is not one shows the first page");
    }

    [Theory]
    [InlineData(0, 1, 0, false, false)]
    [InlineData(25, 1, 25, false, false)]
    [InlineData(26, 1, 25, false, true)]
    [InlineData(26, 2, 1, true, false)]
    [InlineData(60, 3, 10, true, false)]
    [InlineData(60, 4, 0, true, false)]
    public void A_page_holds_its_share_of_the_list_and_knows_its_neighbours(int count, int number, int shown, bool previous, bool next)
    {
        var (entries, paging) = Paging.Of(Enumerable.Range(1, count).ToList(), number, 25, "/", "Pages");
        entries.Count.ShouldBe(shown);
        if (shown > 0) entries[0].ShouldBe((number - 1) * 25 + 1);
        paging.HasPrevious.ShouldBe(previous);
        paging.HasNext.ShouldBe(next);
        paging.Link(1).ShouldBe("/");
        paging.Link(2).ShouldBe("/?page=2");
    }

    /// <summary>Each row's notice position, from the link's hidden text ("for notification N").</summary>
    private static async Task<List<long>> PositionsAsync(ILocator rows) =>
        [.. (await rows.AllInnerTextsAsync()).Select(text => long.Parse(System.Text.RegularExpressions.Regex.Match(text, @"for notification (\d+)").Groups[1].Value,
            System.Globalization.CultureInfo.InvariantCulture))];

    /// <summary>Notices as the feed relay stores them (attention raised on Ellie, positions in order).</summary>
    private async Task GivenNoticesAsync(DemoPartnership.Staff staff, int count)
    {
        await using var connection = new NpgsqlConnection(LocalServers.PostgresOwner);
        await connection.OpenAsync();
        for (var i = 0; i < count; i++)
        {
            await using var insert = new NpgsqlCommand(
                $"INSERT INTO \"{server.Schema}\".feed_notices (id, practitioner_id, organisation_id, kind, client_id, subject_id, event_sequence, at) " +
                "VALUES (@id, @practitioner, @organisation, 'attention-raised', @client, @subject, @sequence, now())", connection);
            insert.Parameters.AddWithValue("id", Guid.NewGuid());
            insert.Parameters.AddWithValue("practitioner", staff.Id.Value);
            insert.Parameters.AddWithValue("organisation", staff.Agency.Id.Value);
            insert.Parameters.AddWithValue("client", DemoPartnership.Ellie.Value);
            insert.Parameters.AddWithValue("subject", Guid.NewGuid());
            insert.Parameters.AddWithValue("sequence", (long)i);
            await insert.ExecuteNonQueryAsync();
        }
    }
}
