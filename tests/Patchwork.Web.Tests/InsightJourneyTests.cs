using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Patchwork.Server.Demo;

namespace Patchwork.Web.Tests;

/// <summary>
/// The insight page in a real browser (issue 23): a manager reads their organisation's figures (summary cards, SVG charts
/// each named and described with its table beside it, the downloads), a DPO their organisation's access figures, the
/// partnership admin every organisation side by side; a practitioner finds neither the menu link nor the page. Each page
/// passes axe, 320 px and the weight budget; every reading is audited through the web with its purpose.
/// </summary>
public sealed class InsightJourneyTests(WebServer server) : IClassFixture<WebServer>
{
    [Fact]
    public async Task A_manager_reads_their_organisations_figures_with_charts_tables_and_downloads()
    {
        await using var browser = await server.NewContextAsync();
        var manager = await browser.NewPageAsync();
        await manager.SignsInForTheFirstTimeAsync(DemoPartnership.TeamManager);
        (await manager.Locator("#navigation a[href='/insight']").CountOnceLoadedAsync()).ShouldBe(1);
        await manager.GotoAsync("/insight");
        await manager.GetByRole(AriaRole.Heading, new() { Name = "Partnership insight" }).WaitForAsync();
        await PageChecks.CheckAsync(manager, "insight-form");

        // Without a purpose the page says what is missing and shows no figures.
        await manager.GetByRole(AriaRole.Button, new() { Name = "Show figures" }).ClickAsync();
        await manager.Locator(".govuk-error-summary", new() { HasText = "State why you are reading these figures" }).WaitForAsync();
        (await manager.Locator("#figures").CountAsync()).ShouldBe(0);
        await PageChecks.CheckAsync(manager, "insight-errors");

        await manager.GetByLabel("Calendar year").CheckAsync();
        await manager.GetByLabel("Reviewing my organisation's work").CheckAsync();
        await manager.GetByRole(AriaRole.Button, new() { Name = "Show figures" }).ClickAsync();
        await manager.Locator("#figures", new() { HasText = DemoPartnership.SocialCare.Name }).WaitForAsync();
        (await manager.Locator("#summary-cards .govuk-summary-card").CountAsync()).ShouldBeGreaterThan(10);
        var charts = manager.Locator("svg[role='img']");
        (await charts.CountAsync()).ShouldBeGreaterThanOrEqualTo(4);
        for (var i = 0; i < await charts.CountAsync(); i++)
        {
            var chart = charts.Nth(i);
            (await chart.Locator("title").CountAsync()).ShouldBe(1);
            (await chart.Locator("desc").CountAsync()).ShouldBe(1);
            // The same figures in a table right after every chart.
            (await chart.EvaluateAsync<string>("svg => svg.nextElementSibling.tagName")).ShouldBe("TABLE");
        }
        (await manager.Locator("#side-by-side").CountAsync()).ShouldBe(0, "a manager sees their own organisation only");
        await PageChecks.CheckAsync(manager, "insight-manager");
        (await server.AuditCountAsync("insight.read", "web")).ShouldBeGreaterThanOrEqualTo(2);

        var csv = await manager.GetByRole(AriaRole.Link, new() { NameRegex = new Regex("^CSV") }).GetAttributeAsync("href");
        var download = await browser.APIRequest.GetAsync(csv!);
        download.Status.ShouldBe(200);
        download.Headers["content-type"].ShouldStartWith("text/csv");
        (await download.TextAsync()).ShouldContain(DemoPartnership.SocialCare.Name);
        var xlsx = await manager.GetByRole(AriaRole.Link, new() { NameRegex = new Regex("^spreadsheet") }).GetAttributeAsync("href");
        (await browser.APIRequest.GetAsync(xlsx!)).Status.ShouldBe(200);
    }

    [Fact]
    public async Task A_DPO_reads_access_figures_the_partnership_admin_every_organisation_and_a_practitioner_finds_nothing()
    {
        await using var dpoBrowser = await server.NewContextAsync();
        var dpo = await dpoBrowser.NewPageAsync();
        await dpo.SignsInForTheFirstTimeAsync(DemoPartnership.SocialCareDpo);
        await dpo.GotoAsync("/insight?basis=financial&purpose=" + Uri.EscapeDataString("Reviewing how access is used"));
        await dpo.Locator("#figures").WaitForAsync();
        (await dpo.Locator("[data-measure='searches']").CountAsync()).ShouldBe(1);
        (await dpo.Locator("[data-measure='multiAgencyClients']").CountAsync()).ShouldBe(0, "a DPO reads access figures, not the activity");
        await PageChecks.CheckAsync(dpo, "insight-dpo");

        await using var adminBrowser = await server.NewContextAsync();
        var admin = await adminBrowser.NewPageAsync();
        await admin.SignsInForTheFirstTimeAsync(DemoPartnership.PartnershipAdmin);
        await admin.GotoAsync("/insight?view=activity&basis=financial&purpose=" + Uri.EscapeDataString("Reporting to the partnership board"));
        await admin.Locator("#side-by-side").WaitForAsync();
        var sideBySide = admin.Locator("[data-side-by-side='multiAgencyClients']");
        foreach (var agency in new[] { DemoPartnership.SocialCare, DemoPartnership.Police, DemoPartnership.Health })
            (await sideBySide.InnerTextAsync()).ShouldContain(agency.Name);
        (await sideBySide.InnerTextAsync()).ShouldContain("The partnership");
        await PageChecks.CheckAsync(admin, "insight-partnership");

        await using var workerBrowser = await server.NewContextAsync();
        var worker = await workerBrowser.NewPageAsync();
        await worker.SignsInForTheFirstTimeAsync(DemoPartnership.SocialWorker);
        (await worker.Locator("#navigation a[href='/insight']").CountOnceLoadedAsync()).ShouldBe(0);
        var response = await worker.GotoAsync("/insight?purpose=" + Uri.EscapeDataString("Planning services"));
        response!.Status.ShouldBe(404);
    }
}
