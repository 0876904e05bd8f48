using Microsoft.Playwright;
using Patchwork.Server.Demo;

namespace Patchwork.Web.Tests;

/// <summary>
/// Journeys through the client's tasks on the demo client Ellie: break-glass by a practitioner who may see nothing, a data
/// protection officer reading who viewed, and a team member raising attention and ending their involvement.
/// </summary>
public sealed class ClientTaskTests(WebServer server) : IClassFixture<WebServer>
{
    internal static readonly string Ellie = $"/clients/{DemoPartnership.Ellie.Value}";

    [Fact]
    public async Task A_refuge_worker_uses_break_glass_with_a_reason_and_sees_the_whole_team_with_the_time_left()
    {
        await using var browser = await server.NewContextAsync();
        var page = await browser.NewPageAsync();
        await page.SignsInForTheFirstTimeAsync(DemoPartnership.RefugeWorker);
        await page.GotoAsync(Ellie);
        await page.GetByRole(AriaRole.Heading, new() { Name = "Why are you looking at this client?" }).WaitForAsync();
        await PageChecks.CheckAsync(page, "client-purpose");
        (await page.StatesPurposeAsync(Ellie, "A child at the refuge may be this client")).Status.ShouldBe(404);
        await PageChecks.CheckAsync(page, "not-found");

        await page.FindsByNameAndBirthAsync("Child disclosed at the refuge tonight", "Marsh-Whitfield", new DateOnly(2011, 4, 17));
        await page.GetByRole(AriaRole.Link, new() { Name = "Use emergency access for Ellie Marsh-Whitfield" }).ClickAsync();
        await PageChecks.CheckAsync(page, "break-glass");
        await page.GetByLabel("Why do you need emergency access?").FillAsync("   ");
        await page.GetByRole(AriaRole.Button, new() { Name = "Use emergency access" }).ClickAsync();
        await page.Locator(".govuk-error-summary", new() { HasText = "Enter why you need emergency access" }).WaitForAsync();
        await PageChecks.CheckAsync(page, "break-glass-errors");

        await page.GetByLabel("Why do you need emergency access?").FillAsync("Child disclosed abuse at the refuge tonight; need the allocated social worker now");
        await page.GetByLabel("4 hours").CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Use emergency access" }).ClickAsync();
        var banner = page.Locator("#break-glass");
        await banner.WaitForAsync();
        (await banner.InnerTextAsync()).ShouldMatch(@"You are using emergency access until \d\d:\d\d: (3 h 5\d|4 h 0) min left");
        // UK time on the page, the exact instant in the element: the text is the London wall clock of the datetime.
        var until = banner.Locator("time");
        var instant = DateTimeOffset.Parse((await until.GetAttributeAsync("datetime"))!, System.Globalization.CultureInfo.InvariantCulture);
        (await until.InnerTextAsync()).ShouldBe(TimeZoneInfo.ConvertTime(instant, TimeZoneInfo.FindSystemTimeZoneById("Europe/London"))
            .ToString("HH:mm", System.Globalization.CultureInfo.InvariantCulture));
        (await page.TeamMember(DemoPartnership.SexualHealthNurse.Name).CountOnceLoadedAsync()).ShouldBe(1);
        (await page.TeamMember(DemoPartnership.SocialWorker.Name).Locator("a[href^='tel:']").CountOnceLoadedAsync()).ShouldBe(1);
        await PageChecks.CheckAsync(page, "client-break-glass");
        (await server.AuditCountAsync("break-glass.grant", "web")).ShouldBe(1);
    }

    [Fact]
    public async Task A_data_protection_officer_sees_who_of_their_own_organisation_viewed_the_client_and_others_may_not()
    {
        await using (var teachers = await server.NewContextAsync())
        {
            var teacher = await teachers.NewPageAsync();
            await teacher.SignsInForTheFirstTimeAsync(DemoPartnership.Teacher);
            await teacher.OpensClientAsync(Ellie);
            await teacher.Locator("h1", new() { HasText = "Ellie Marsh-Whitfield" }).WaitForAsync();
        }

        await using var dpos = await server.NewContextAsync();
        var dpo = await dpos.NewPageAsync();
        await dpo.SignsInForTheFirstTimeAsync(DemoPartnership.SocialCareDpo);
        await dpo.OpensClientAsync(Ellie, "Subject access request from the client's mother");
        await dpo.GetByRole(AriaRole.Link, new() { Name = "Who viewed this client" }).ClickAsync();
        var log = dpo.Locator("#who-viewed");
        await log.WaitForAsync();
        (await log.Locator("tr", new() { HasText = $"{DemoPartnership.SocialCareDpo.Name}, {DemoPartnership.SocialCare.Name}" })
            .Filter(new() { HasText = "Viewed the team" }).CountOnceLoadedAsync()).ShouldBeGreaterThanOrEqualTo(1);
        // The school's looks are the school's to see (DESIGN.md §3, rule 10): a DPO reads their own organisation's entries.
        (await log.Locator("tr", new() { HasText = DemoPartnership.Teacher.Name }).CountOnceLoadedAsync()).ShouldBe(0);
        await PageChecks.CheckAsync(dpo, "who-viewed");
        (await server.AuditCountAsync("client.audit.read", "web")).ShouldBeGreaterThanOrEqualTo(1);

        await using var strangers = await server.NewContextAsync();
        var stranger = await strangers.NewPageAsync();
        await stranger.SignsInForTheFirstTimeAsync(DemoPartnership.SchoolNurse);
        (await stranger.GotoAsync($"{Ellie}/who-viewed"))!.Status.ShouldBe(404);
    }

    [Fact]
    public async Task A_police_officer_raises_attention_then_ends_their_involvement_and_no_longer_sees_the_social_worker()
    {
        await using var browser = await server.NewContextAsync();
        var page = await browser.NewPageAsync();
        await page.SignsInForTheFirstTimeAsync(DemoPartnership.PoliceOfficer);
        await page.OpensClientAsync(Ellie);
        await page.GetByRole(AriaRole.Link, new() { Name = "Raise attention" }).ClickAsync();
        await PageChecks.CheckAsync(page, "raise-attention");
        await page.GetByRole(AriaRole.Button, new() { Name = "Raise attention" }).ClickAsync();
        await page.GetByText("Attention is raised. The team is told.").WaitForAsync();

        await page.GetByRole(AriaRole.Link, new() { Name = "End my involvement" }).ClickAsync();
        await PageChecks.CheckAsync(page, "end-involvement");
        await page.GetByRole(AriaRole.Button, new() { Name = "End my involvement today" }).ClickAsync();
        await page.GetByText("Your involvement is ended.").WaitForAsync();
        (await page.TeamMember(DemoPartnership.SocialWorker.Name).CountOnceLoadedAsync()).ShouldBe(0);
        (await server.AuditCountAsync("attention.raise", "web")).ShouldBe(1);
        (await server.AuditCountAsync("involvement.end", "web")).ShouldBe(1);
    }

    [Fact]
    public async Task A_social_worker_asks_to_share_without_consent_checks_the_answers_and_their_manager_approves()
    {
        await using (var socialWorkers = await server.NewContextAsync())
        {
            var page = await socialWorkers.NewPageAsync();
            await page.SignsInForTheFirstTimeAsync(DemoPartnership.SocialWorker);
            await page.OpensClientAsync(Ellie);
            await page.GetByRole(AriaRole.Link, new() { Name = "Ask to share without consent" }).ClickAsync();
            await PageChecks.CheckAsync(page, "request-sharing");
            await page.GetByRole(AriaRole.Button, new() { Name = "Continue" }).ClickAsync();
            await page.Locator(".govuk-error-summary", new() { HasText = "Select the lawful basis" }).WaitForAsync();
            await PageChecks.CheckAsync(page, "request-sharing-errors");
            await page.GetByLabel("Safeguarding a child").CheckAsync();
            await page.GetByLabel("Why must it be shared without consent?").FillAsync("Father refuses consent; child at risk of significant harm");
            await page.GetByLabel("In 3 months").CheckAsync();
            await page.GetByRole(AriaRole.Button, new() { Name = "Continue" }).ClickAsync();
            await page.Locator("#answers", new() { HasText = "Father refuses consent" }).WaitForAsync();
            await PageChecks.CheckAsync(page, "request-sharing-check");
            await page.GetByRole(AriaRole.Button, new() { Name = "Send to a manager for approval" }).ClickAsync();
            await page.GetByText("A manager of your organisation must approve it").WaitForAsync();
        }

        await using var managers = await server.NewContextAsync();
        var manager = await managers.NewPageAsync();
        await manager.SignsInForTheFirstTimeAsync(DemoPartnership.TeamManager);
        await manager.OpensClientAsync(Ellie, "Approving a request to share without consent");
        await manager.GetByRole(AriaRole.Link, new() { Name = "Approve sharing without consent: Safeguarding a child" }).ClickAsync();
        await PageChecks.CheckAsync(manager, "approve-sharing");
        await manager.GetByRole(AriaRole.Button, new() { Name = "Approve" }).ClickAsync();
        await manager.GetByText("Sharing without consent is approved.").WaitForAsync();
        (await manager.Locator(".govuk-summary-card", new() { HasText = "Safeguarding a child" }).InnerTextAsync()).ShouldContain("In force");
        (await server.AuditCountAsync("sharing-without-consent.approve", "web")).ShouldBe(1);
    }
}

/// <summary>
/// A class (and so a server) of its own: the school lead's first sign-in enrols them, and the who-viewed journey above
/// signs the same demo practitioner in first.
/// </summary>
public sealed class ObjectionTaskTests(WebServer server) : IClassFixture<WebServer>
{
    private static string Ellie => ClientTaskTests.Ellie;

    [Fact]
    public async Task A_school_lead_records_the_clients_objection_to_sharing_with_the_health_trust()
    {
        await using var browser = await server.NewContextAsync();
        var page = await browser.NewPageAsync();
        await page.SignsInForTheFirstTimeAsync(DemoPartnership.Teacher);
        await page.OpensClientAsync(Ellie);
        await page.GetByRole(AriaRole.Link, new() { Name = "Record an objection" }).ClickAsync();
        await PageChecks.CheckAsync(page, "record-objection");
        await page.GetByRole(AriaRole.Button, new() { Name = "Record objection" }).ClickAsync();
        await page.Locator(".govuk-error-summary", new() { HasText = "Select who the client objects to sharing with" }).WaitForAsync();
        await PageChecks.CheckAsync(page, "record-objection-errors");
        await page.GetByLabel(DemoPartnership.Health.Name).CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Record objection" }).ClickAsync();
        await page.GetByText("The objection is recorded.").WaitForAsync();
        (await server.AuditCountAsync("objection.record", "web")).ShouldBe(1);
    }
}
