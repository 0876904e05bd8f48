using Microsoft.Playwright;
using Patchwork.Server.Demo;

namespace Patchwork.Web.Tests;

/// <summary>
/// Issue 18 points 6 and 9 through the pages: the client page reads nothing until a purpose is stated (and records it),
/// "my clients" open with the standard casework purpose, and registering someone who looks registered names no one.
/// </summary>
public sealed class ReadPurposeJourneyTests(WebServer server) : IClassFixture<WebServer>
{
    private static readonly string Ellie = $"/clients/{DemoPartnership.Ellie.Value}";

    [Fact]
    public async Task Without_JavaScript_the_client_page_asks_why_shows_no_team_until_told_and_records_the_purpose()
    {
        await using var browser = await server.NewContextAsync(javaScript: false);
        var page = await browser.NewPageAsync();
        await page.SignsInForTheFirstTimeAsync(DemoPartnership.PoliceOfficer);
        var before = await server.AuditCountAsync("client.team.read", "web");

        await page.GotoAsync(Ellie);
        await page.GetByRole(AriaRole.Heading, new() { Name = "Why are you looking at this client?" }).WaitForAsync();
        (await page.Locator("#team").CountOnceLoadedAsync()).ShouldBe(0);
        var asked = await page.ContentAsync();
        foreach (var unread in new[] { "Ellie", DemoPartnership.SocialWorker.Name, DemoPartnership.SocialWorker.Contact.Phone! }) asked.ShouldNotContain(unread);
        (await server.AuditCountAsync("client.team.read", "web")).ShouldBe(before, "nothing is read before a purpose is stated");

        await page.GetByRole(AriaRole.Button, new() { Name = "Continue" }).ClickAsync();
        await page.Locator(".govuk-error-summary", new() { HasText = "Choose why you are looking at this client" }).WaitForAsync();
        await page.GetByLabel("Another purpose", new() { Exact = true }).CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Continue" }).ClickAsync();
        await page.Locator(".govuk-error-summary", new() { HasText = "Enter why you are looking at this client" }).WaitForAsync();
        (await page.Locator("#team").CountOnceLoadedAsync()).ShouldBe(0);

        const string purpose = "Strategy meeting about the child tomorrow";
        (await page.StatesPurposeAsync(Ellie, purpose)).Status.ShouldBe(200);
        (await page.Locator("#read-purpose").InnerTextAsync()).ShouldBe($"Purpose: {purpose}");
        (await page.TeamMember(DemoPartnership.SocialWorker.Name).CountOnceLoadedAsync()).ShouldBe(1);
        (await server.AuditCountAsync("client.team.read", DemoPartnership.Ellie.Value, purpose)).ShouldBe(1);

        // Kept for this practitioner and client: the next visit (a reload, a task's return) carries it without asking.
        await page.ReloadAsync();
        (await page.Locator("#read-purpose").InnerTextAsync()).ShouldBe($"Purpose: {purpose}");
        (await server.AuditCountAsync("client.team.read", DemoPartnership.Ellie.Value, purpose)).ShouldBe(2);
    }

    [Fact]
    public async Task My_clients_open_directly_for_casework_with_that_purpose_recorded()
    {
        await using var browser = await server.NewContextAsync();
        var page = await browser.NewPageAsync();
        await page.SignsInForTheFirstTimeAsync(DemoPartnership.Teacher);

        await page.Locator("#my-clients").GetByRole(AriaRole.Link, new() { Name = "Ellie Marsh-Whitfield" }).ClickAsync();
        await page.Locator("h1", new() { HasText = "Ellie Marsh-Whitfield" }).WaitForAsync();
        (await page.Locator("#read-purpose").InnerTextAsync()).ShouldBe("Purpose: Casework with my client");
        (await server.AuditCountAsync("client.team.read", DemoPartnership.Ellie.Value, "Casework with my client")).ShouldBeGreaterThanOrEqualTo(1);
        await PageChecks.CheckAsync(page, "client-with-purpose");
    }

    [Fact]
    public async Task Registering_someone_who_looks_registered_says_a_likely_match_exists_and_offers_a_search_naming_no_one()
    {
        await using var browser = await server.NewContextAsync();
        var page = await browser.NewPageAsync();
        await page.SignsInForTheFirstTimeAsync(DemoPartnership.SchoolNurse);
        await page.GotoAsync("/clients/new");
        await page.GetByLabel("Given names").FillAsync("Someone");
        await page.GetByLabel("Family name").FillAsync("Else");
        await page.GetByLabel("Day").FillAsync("1");
        await page.GetByLabel("Month").FillAsync("2");
        await page.GetByLabel("Year").FillAsync("2012");
        await page.GetByLabel("NHS number (optional)").FillAsync("943 476 5919");
        await page.GetByRole(AriaRole.Button, new() { Name = "Register client" }).ClickAsync();

        var banner = page.Locator("#likely-match");
        await banner.WaitForAsync();
        (await banner.InnerTextAsync()).ShouldContain("A likely match exists");
        var shown = await page.ContentAsync();
        foreach (var identity in new[] { "Ellie", "Marsh", "WX1", DemoPartnership.Ellie.Value.ToString() }) shown.ShouldNotContain(identity);
        await PageChecks.CheckAsync(page, "register-likely-match");

        await banner.GetByRole(AriaRole.Link, new() { Name = "Find a client" }).ClickAsync();
        await page.GetByRole(AriaRole.Heading, new() { Name = "Find a client" }).WaitForAsync();
    }
}
