using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Patchwork.Server.Demo;

namespace Patchwork.Web.Tests;

/// <summary>
/// The live feed in the browser: a police officer has the demo client Ellie's page open, with the social worker shown
/// under the client's consent; the social worker withdraws the consent in another browser, and the officer's open page
/// drops the social worker and shows a banner and a count — without a reload.
/// </summary>
public sealed partial class LiveFeedTests(WebServer server) : IClassFixture<WebServer>
{
    private static readonly float Within = 120_000;

    [Fact]
    public async Task A_withdrawn_consent_drops_the_social_worker_from_the_officers_open_page_without_a_reload()
    {
        var ellie = $"/clients/{DemoPartnership.Ellie.Value}";
        await using var officersBrowser = await server.NewContextAsync();
        var officer = await officersBrowser.NewPageAsync();
        await officer.SignsInForTheFirstTimeAsync(DemoPartnership.PoliceOfficer);
        await officer.OpensClientAsync(ellie);
        var socialWorkerRow = officer.TeamMember(DemoPartnership.SocialWorker.Name);
        var contact = DemoPartnership.SocialWorker.Contact;
        (await socialWorkerRow.CallLink(DemoPartnership.SocialWorker.Name, contact.Phone!).GetAttributeAsync("href"))
            .ShouldBe($"tel:{contact.Phone!.Replace(" ", "", StringComparison.Ordinal)}");
        await socialWorkerRow.OpensDetailsAsync();
        (await socialWorkerRow.GetByRole(AriaRole.Link, new() { Name = contact.Email, Exact = true }).GetAttributeAsync("href")).ShouldBe($"mailto:{contact.Email}");
        await officer.EvaluateAsync("() => window.patchworkSameDocument = true");

        await using (var socialWorkersBrowser = await server.NewContextAsync())
        {
            var socialWorker = await socialWorkersBrowser.NewPageAsync();
            await socialWorker.SignsInForTheFirstTimeAsync(DemoPartnership.SocialWorker);
            await socialWorker.OpensClientAsync(ellie);
            await socialWorker.GetByRole(AriaRole.Link, new() { NameRegex = WithdrawPoliceConsent() }).ClickAsync();
            await socialWorker.GetByRole(AriaRole.Button, new() { Name = "Withdraw consent" }).ClickAsync();
            await socialWorker.GetByText("The consent is withdrawn.").WaitForAsync();
        }

        await socialWorkerRow.WaitForAsync(new() { State = WaitForSelectorState.Detached, Timeout = Within });
        await officer.Locator("#live-notices .govuk-notification-banner", new() { HasText = "This client's team has changed" })
            .WaitForAsync(new() { Timeout = Within });
        (await officer.Locator("#notice-count").InnerTextAsync()).ShouldMatch(@"^\d+\s*new$");
        (await officer.EvaluateAsync<bool>("() => window.patchworkSameDocument === true")).ShouldBeTrue("the page was reloaded");
        (await officer.Locator($"a[href='mailto:{contact.Email}']").CountOnceLoadedAsync()).ShouldBe(0);
        await PageChecks.CheckAsync(officer, "client-after-live-notice");

        await officer.GetByRole(AriaRole.Link, new() { Name = "See your notifications" }).ClickAsync();
        await officer.Locator("#notifications", new() { HasText = "A team member is no longer shared with you" }).WaitForAsync();
        await PageChecks.CheckAsync(officer, "notifications");
    }

    [GeneratedRegex("^Withdraw consent to share with Police")]
    private static partial Regex WithdrawPoliceConsent();
}
