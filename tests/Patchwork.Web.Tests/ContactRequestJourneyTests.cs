using Microsoft.Playwright;
using Patchwork.Server.Demo;

namespace Patchwork.Web.Tests;

/// <summary>
/// A contact request on the demo's Ellie, in a real browser: the police officer sees that another service is involved but
/// not who (the sexual health nurse's involvement is sensitive), asks to be contacted; the nurse sees who asks and accepts;
/// the officer's open page then shows the nurse with a phone link, without a reload. A host of its own, as each demo
/// practitioner enrols once.
/// </summary>
public sealed class ContactRequestJourneyTests(WebServer server) : IClassFixture<WebServer>
{
    private static readonly string Ellie = $"/clients/{DemoPartnership.Ellie.Value}";

    [Fact]
    public async Task The_officer_asks_the_masked_nurse_to_make_contact_and_the_nurse_accepts()
    {
        await using var officersBrowser = await server.NewContextAsync();
        var officer = await officersBrowser.NewPageAsync();
        await officer.SignsInForTheFirstTimeAsync(DemoPartnership.PoliceOfficer);
        await officer.OpensClientAsync(Ellie);
        var nurseRow = officer.TeamMember(DemoPartnership.SexualHealthNurse.Name);
        (await nurseRow.CountOnceLoadedAsync()).ShouldBe(0, "the nurse's involvement is sensitive: the officer sees only that another service is involved");
        var history = await officer.Locator("#history").InnerTextAsync();
        history.ShouldContain($"{DemoPartnership.SocialWorker.Name} ({DemoPartnership.SocialCare.Name}) started work with the client");
        history.ShouldNotContain(DemoPartnership.SexualHealthNurse.Name, Case.Insensitive, "the history says no more than the team does");
        history.ShouldNotContain("sexual health", Case.Insensitive);
        var masked = officer.TeamMember("Another service is involved");
        (await masked.CountOnceLoadedAsync()).ShouldBe(1);
        await masked.GetByRole(AriaRole.Button, new() { Name = "Request contact" }).ClickAsync();
        await officer.GetByText("Your request is sent.").WaitForAsync();
        (await officer.Locator("#my-contact-requests").InnerTextAsync()).ShouldContain("waiting for an answer");
        await PageChecks.CheckAsync(officer, "client-contact-requested");

        await using var nursesBrowser = await server.NewContextAsync();
        var nurse = await nursesBrowser.NewPageAsync();
        await nurse.SignsInForTheFirstTimeAsync(DemoPartnership.SexualHealthNurse);
        await nurse.GotoAsync("/");
        (await nurse.Locator("#my-notifications").InnerTextAsync()).ShouldContain("Someone asked you to contact them");
        await PageChecks.CheckAsync(nurse, "home-with-notifications");
        await nurse.OpensClientAsync(Ellie);
        var request = nurse.Locator(".govuk-summary-card", new() { HasText = $"{DemoPartnership.PoliceOfficer.Name} asks you to contact them" });
        (await request.InnerTextAsync()).ShouldContain(DemoPartnership.Police.Name);
        await PageChecks.CheckAsync(nurse, "client-contact-request");
        await request.GetByRole(AriaRole.Button, new() { Name = $"Accept and show {DemoPartnership.PoliceOfficer.Name} your details" }).ClickAsync();
        await nurse.GetByText("You accepted.").WaitForAsync();
        (await nurse.Locator(".govuk-summary-card", new() { HasText = "asks you to contact them" }).CountOnceLoadedAsync()).ShouldBe(0, "an answered request is not offered again");

        // The officer's page, open all along, is told and reads the team again.
        await nurseRow.Locator("a[href^='tel:']").WaitForAsync();
        (await officer.Locator("#my-contact-requests").InnerTextAsync()).ShouldContain("accepted");
        (await officer.TeamMember("Another service is involved").CountOnceLoadedAsync()).ShouldBe(0);
        await officer.ReloadAsync();
        (await officer.Locator("#history").InnerTextAsync()).ShouldContain(
            $"{DemoPartnership.SexualHealthNurse.Name} ({DemoPartnership.Health.Name}) started work with the client as sexual health nurse");
        (await server.AuditCountAsync("contact.request", "web")).ShouldBe(1);
        (await server.AuditCountAsync("contact.answer", "web")).ShouldBe(1);
    }
}

/// <summary>
/// The same request with JavaScript off, answered the other way: the nurse declines, and the officer, reloading, sees the
/// request declined and the nurse still masked. Plain forms and redirects only; a host of its own.
/// </summary>
public sealed class ContactRequestWithoutJavaScriptTests(WebServer server) : IClassFixture<WebServer>
{
    private static readonly string Ellie = $"/clients/{DemoPartnership.Ellie.Value}";

    [Fact]
    public async Task Without_JavaScript_the_officer_asks_and_the_nurse_declines_and_nothing_more_is_shown()
    {
        await using var officersBrowser = await server.NewContextAsync(javaScript: false);
        var officer = await officersBrowser.NewPageAsync();
        await officer.SignsInForTheFirstTimeAsync(DemoPartnership.PoliceOfficer);
        await officer.OpensClientAsync(Ellie);
        await officer.TeamMember("Another service is involved")
            .GetByRole(AriaRole.Button, new() { Name = "Request contact" }).ClickAsync();
        await officer.GetByText("Your request is sent.").WaitForAsync();

        await using var nursesBrowser = await server.NewContextAsync(javaScript: false);
        var nurse = await nursesBrowser.NewPageAsync();
        await nurse.SignsInForTheFirstTimeAsync(DemoPartnership.SexualHealthNurse);
        await nurse.OpensClientAsync(Ellie);
        await nurse.Locator(".govuk-summary-card", new() { HasText = $"{DemoPartnership.PoliceOfficer.Name} asks you to contact them" })
            .GetByRole(AriaRole.Button, new() { Name = $"Decline the request from {DemoPartnership.PoliceOfficer.Name}" }).ClickAsync();
        await nurse.GetByText("You declined. They see nothing more.").WaitForAsync();

        await officer.ReloadAsync();
        (await officer.Locator("#my-contact-requests").InnerTextAsync()).ShouldContain("declined");
        (await officer.TeamMember(DemoPartnership.SexualHealthNurse.Name).CountOnceLoadedAsync()).ShouldBe(0);
        (await officer.TeamMember("Another service is involved").CountOnceLoadedAsync()).ShouldBe(1);
        (await officer.Locator("#history").InnerTextAsync()).ShouldNotContain(DemoPartnership.SexualHealthNurse.Name);
    }
}
