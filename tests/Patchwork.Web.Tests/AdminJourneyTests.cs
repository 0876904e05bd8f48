using Microsoft.Playwright;
using Patchwork.Server.Demo;

namespace Patchwork.Web.Tests;

/// <summary>
/// The administration pages in a real browser: the demo's partnership admin (also Social Care's organisation admin) invites
/// a practitioner, makes and ends a sharing agreement, registers a partner system (its credentials shown once) and revokes
/// it; a DPO reads agreements only; a practitioner finds no admin pages at all. A host of its own.
/// </summary>
public sealed class AdminJourneyTests(WebServer server) : IClassFixture<WebServer>
{
    [Fact]
    public async Task The_partnership_admin_invites_makes_and_ends_an_agreement_and_registers_and_revokes_a_partner_system()
    {
        await using var browser = await server.NewContextAsync();
        var admin = await browser.NewPageAsync();
        await admin.SignsInForTheFirstTimeAsync(DemoPartnership.PartnershipAdmin);
        // The menu offers "Admin" (behind the phone's menu button, so looked for in the page rather than clicked).
        (await admin.Locator("#navigation a[href='/admin']").CountOnceLoadedAsync()).ShouldBe(1);
        await admin.GotoAsync("/admin");
        await admin.GetByRole(AriaRole.Heading, new() { Name = "Administration" }).WaitForAsync();
        await PageChecks.CheckAsync(admin, "admin");

        // Invite a practitioner.
        await admin.GetByRole(AriaRole.Link, new() { Name = "Invite a practitioner" }).ClickAsync();
        await PageChecks.CheckAsync(admin, "admin-invite");
        await admin.GetByRole(AriaRole.Button, new() { Name = "Send invitation" }).ClickAsync();
        await admin.Locator(".govuk-error-summary", new() { HasText = "Enter their full name" }).WaitForAsync();
        await PageChecks.CheckAsync(admin, "admin-invite-errors");
        await admin.GetByLabel("Full name").FillAsync("Rowan Ellis");
        await admin.GetByLabel("Work email address").FillAsync("not an address");
        await admin.GetByRole(AriaRole.Button, new() { Name = "Send invitation" }).ClickAsync();
        await admin.Locator(".govuk-error-summary", new() { HasText = "valid email address" }).WaitForAsync();
        await admin.GetByLabel("Work email address").FillAsync("rowan.ellis@wessex.example.org");
        // Rule 13: the partnership admin is offered only what they may grant — DPO yes, Manager (which they do not hold) no.
        (await admin.GetByLabel("Manager", new() { Exact = true }).CountAsync()).ShouldBe(0);
        await admin.GetByLabel("Data protection officer", new() { Exact = true }).CheckAsync();
        await admin.GetByRole(AriaRole.Button, new() { Name = "Send invitation" }).ClickAsync();
        await admin.GetByText("The invitation is sent.").WaitForAsync();

        // Make an agreement between the police and the health trust, then end it.
        await admin.GetByRole(AriaRole.Link, new() { Name = "Sharing agreements" }).ClickAsync();
        await admin.WaitForURLAsync("**/admin/agreements", new() { WaitUntil = WaitUntilState.Commit });
        (await admin.Locator(".govuk-summary-card", new() { HasText = "Wessex information sharing agreement" }).CountOnceLoadedAsync()).ShouldBe(1);
        await PageChecks.CheckAsync(admin, "admin-agreements");
        await admin.GetByRole(AriaRole.Link, new() { Name = "Make an agreement" }).ClickAsync();
        await PageChecks.CheckAsync(admin, "admin-agreement-new");
        await admin.GetByLabel("Name of the agreement").FillAsync("Police and health pilot");
        await admin.GetByLabel(DemoPartnership.Police.Name).CheckAsync();
        await admin.GetByRole(AriaRole.Button, new() { Name = "Make the agreement" }).ClickAsync();
        await admin.Locator(".govuk-error-summary", new() { HasText = "Select at least two organisations" }).WaitForAsync();
        await PageChecks.CheckAsync(admin, "admin-agreement-errors");
        await admin.GetByLabel(DemoPartnership.Health.Name).CheckAsync();
        await admin.GetByRole(AriaRole.Button, new() { Name = "Make the agreement" }).ClickAsync();
        await admin.GetByText("The agreement is made.").WaitForAsync();
        var pilot = admin.Locator(".govuk-summary-card", new() { HasText = "Police and health pilot" });
        (await pilot.InnerTextAsync()).ShouldContain("Active");
        await pilot.GetByRole(AriaRole.Link, new() { Name = "End Police and health pilot" }).ClickAsync();
        await PageChecks.CheckAsync(admin, "admin-agreement-end");
        await admin.GetByRole(AriaRole.Button, new() { Name = "End the agreement" }).ClickAsync();
        await admin.GetByText("The agreement is ended.").WaitForAsync();
        (await pilot.InnerTextAsync()).ShouldContain("Ended");
        (await server.AuditCountAsync("agreement.make", "web")).ShouldBe(1);
        (await server.AuditCountAsync("agreement.end", "web")).ShouldBe(1);

        // Register a partner system with a client secret: its credentials are on that one response; then revoke it.
        await admin.GotoAsync("/admin/partner-systems");
        await admin.GetByRole(AriaRole.Link, new() { Name = "Register a partner system" }).ClickAsync();
        await PageChecks.CheckAsync(admin, "admin-partner-system-new");
        await admin.GetByRole(AriaRole.Button, new() { Name = "Register the system" }).ClickAsync();
        await admin.Locator(".govuk-error-summary", new() { HasText = "Select how the system will prove who it is" }).WaitForAsync();
        await PageChecks.CheckAsync(admin, "admin-partner-system-errors");
        await admin.GetByLabel("Name of the system").FillAsync("Children's case system");
        await admin.GetByLabel("Read", new() { Exact = true }).CheckAsync();
        await admin.GetByLabel("With a client secret").CheckAsync();
        var registered = await admin.RunAndWaitForResponseAsync(
            () => admin.GetByRole(AriaRole.Button, new() { Name = "Register the system" }).ClickAsync(),
            response => response.Url.EndsWith("/admin/partner-systems/new", StringComparison.Ordinal) && response.Request.Method == "POST");
        ((await registered.HeaderValueAsync("cache-control")) ?? "").ShouldContain("no-store");
        var credentials = await admin.Locator("#credentials").InnerTextAsync();
        credentials.ShouldContain("Client secret");
        credentials.ShouldContain("Broker password");
        async Task<string> Shown(string key) => (await admin.Locator("#credentials .govuk-summary-list__row", new() { HasText = key })
            .Locator(".govuk-summary-list__value code").InnerTextAsync()).Trim();
        var clientSecret = await Shown("Client secret");
        var brokerPassword = await Shown("Broker password");
        clientSecret.Length.ShouldBeGreaterThanOrEqualTo(16, "the client secret is shown once, here");
        brokerPassword.Length.ShouldBeGreaterThanOrEqualTo(16, "the broker password is shown once, here");
        await PageChecks.CheckAsync(admin, "admin-partner-system-registered");
        await admin.GetByRole(AriaRole.Link, new() { Name = "Back to partner systems" }).ClickAsync();
        var system = admin.Locator(".govuk-summary-card", new() { HasText = "Children's case system" });
        var listed = await admin.ContentAsync();
        listed.ShouldNotContain(clientSecret, Case.Sensitive, "the list never shows the client secret");
        listed.ShouldNotContain(brokerPassword, Case.Sensitive, "the list never shows the broker password");
        (await system.InnerTextAsync()).ShouldNotContain("Broker password", Case.Insensitive, "the list never shows a secret");
        await PageChecks.CheckAsync(admin, "admin-partner-systems");
        await system.GetByRole(AriaRole.Link, new() { Name = "Revoke Children's case system" }).ClickAsync();
        await PageChecks.CheckAsync(admin, "admin-partner-system-revoke");
        await admin.GetByRole(AriaRole.Button, new() { Name = "Revoke the system" }).ClickAsync();
        await admin.GetByText("The partner system is revoked.").WaitForAsync();
        (await system.InnerTextAsync()).ShouldContain("Revoked");
    }

    [Fact]
    public async Task A_DPO_reads_agreements_only_and_a_practitioner_finds_no_admin_pages()
    {
        await using (var dpos = await server.NewContextAsync())
        {
            var dpo = await dpos.NewPageAsync();
            await dpo.SignsInForTheFirstTimeAsync(DemoPartnership.HealthDpo);
            await dpo.GotoAsync("/admin");
            (await dpo.Locator("#admin-tasks a").AllInnerTextsAsync()).ShouldBe(["Sharing agreements"]);
            await dpo.GotoAsync("/admin/agreements");
            (await dpo.Locator(".govuk-summary-card", new() { HasText = "Wessex information sharing agreement" }).CountOnceLoadedAsync()).ShouldBe(1);
            (await dpo.GetByRole(AriaRole.Link, new() { Name = "Make an agreement" }).CountOnceLoadedAsync()).ShouldBe(0);
            (await dpo.GotoAsync("/admin/agreements/new"))!.Status.ShouldBe(404);
            (await dpo.GotoAsync("/admin/invite"))!.Status.ShouldBe(404);
            (await dpo.GotoAsync("/admin/partner-systems"))!.Status.ShouldBe(404);
        }

        await using var practitioners = await server.NewContextAsync();
        var practitioner = await practitioners.NewPageAsync();
        await practitioner.SignsInForTheFirstTimeAsync(DemoPartnership.SocialWorker);
        await practitioner.GotoAsync("/");
        (await practitioner.Locator("#navigation a[href='/notifications']").CountOnceLoadedAsync()).ShouldBe(1);
        (await practitioner.Locator("#navigation a[href='/admin']").CountOnceLoadedAsync()).ShouldBe(0);
        foreach (var path in new[] { "/admin", "/admin/invite", "/admin/agreements", "/admin/partner-systems", "/admin/partner-systems/new" })
            (await practitioner.GotoAsync(path))!.Status.ShouldBe(404, path);
    }
}
