using Microsoft.Playwright;
using Patchwork.Server.Demo;
using Patchwork.Testing;

namespace Patchwork.Web.Tests;

/// <summary>
/// The main journey through the pages, in a real browser against the real host: a social worker signs in (enrolling an
/// authenticator), registers a client, records their involvement and the client's consent to share with the police; a
/// police officer finds the client, records theirs, and sees the social worker with phone and email links.
/// </summary>
public sealed class JourneyTests(WebServer server) : IClassFixture<WebServer>
{
    [Fact]
    public async Task With_JavaScript_every_page_passes_its_checks_and_the_officer_sees_the_social_worker() =>
        await JourneyAsync(javaScript: true, familyName: "Ashdown", born: new DateOnly(2013, 6, 9));

    [Fact]
    public async Task Without_JavaScript_the_same_journey_works() =>
        await JourneyAsync(javaScript: false, familyName: "Brackley", born: new DateOnly(2014, 2, 21));

    private async Task JourneyAsync(bool javaScript, string familyName, DateOnly born)
    {
        var started = DateTimeOffset.UtcNow;
        var suffix = javaScript ? "" : "-no-js";
        Func<IPage, string, Task>? check = javaScript ? PageChecks.CheckAsync : null;
        var socialWorker = javaScript ? DemoPartnership.SocialWorker : DemoPartnership.TeamManager;
        var officer = javaScript ? DemoPartnership.PoliceOfficer : DemoPartnership.PoliceSergeant;
        const string phone = "01632 960555";
        var email = $"{familyName.ToLowerInvariant()}.team@wessex.example.org";
        IReadOnlyList<string> recoveryCodes;

        await using (var context = await server.NewContextAsync(javaScript))
        {
            var page = await context.NewPageAsync();
            (_, recoveryCodes) = await page.SignsInForTheFirstTimeAsync(socialWorker, check);
            await Check(page, "home-empty");

            await page.FindsByNameAndBirthAsync("New referral, allocated to me today", familyName, born);
            (await page.Locator("h1").InnerTextAsync()).ShouldBe("No client matches");
            await Check(page, "find-no-match");
            await page.GetByRole(AriaRole.Link, new() { Name = "Register a new client" }).ClickAsync();
            await Check(page, "register");
            await page.GetByLabel("Given names").FillAsync("Robin");
            await page.GetByLabel("Family name").FillAsync(familyName);
            await page.GetByLabel("Day").FillAsync(born.Day.ToString(System.Globalization.CultureInfo.InvariantCulture));
            await page.GetByLabel("Month").FillAsync(born.Month.ToString(System.Globalization.CultureInfo.InvariantCulture));
            await page.GetByLabel("Year").FillAsync(born.Year.ToString(System.Globalization.CultureInfo.InvariantCulture));
            await page.GetByRole(AriaRole.Button, new() { Name = "Register client" }).ClickAsync();
            await page.GetByRole(AriaRole.Heading, new() { Name = "Record my involvement" }).WaitForAsync();
            await Check(page, "record-involvement");

            await page.RecordsInvolvementAsync("allocated social worker", phone, email);
            await Check(page, "client");
            var client = page.Url;

            await page.GetByRole(AriaRole.Link, new() { Name = "Record consent" }).ClickAsync();
            await Check(page, "record-consent");
            await page.GetByRole(AriaRole.Button, new() { Name = "Record consent" }).ClickAsync();
            await page.Locator(".govuk-error-summary").WaitForAsync();
            await Check(page, "record-consent-errors");
            await page.GetByLabel("Police", new() { Exact = true }).CheckAsync();
            await page.GetByLabel("A person with parental responsibility").CheckAsync();
            await page.GetByLabel("In writing").CheckAsync();
            await page.GetByRole(AriaRole.Button, new() { Name = "Record consent" }).ClickAsync();
            await page.GetByText("The consent is recorded.").WaitForAsync();
            (await page.Locator(".govuk-summary-card__title", new() { HasText = "Shares with Police" }).CountOnceLoadedAsync()).ShouldBe(1);

            await page.GotoAsync("/");
            (await page.Locator("#my-clients").InnerTextAsync()).ShouldContain($"Robin {familyName}");
            await Check(page, "home");
            await page.SignsOutAsync();
            await page.GetByRole(AriaRole.Heading, new() { Name = "You have signed out" }).WaitForAsync();
            await Check(page, "signed-out");
            await page.GotoAsync(client);
            page.Url.ShouldContain("/sign-in");
        }

        await using (var context = await server.NewContextAsync(javaScript))
        {
            var page = await context.NewPageAsync();
            await page.SignsInForTheFirstTimeAsync(officer);
            await page.FindsByNameAndBirthAsync("Missing-from-home report for this child", familyName, born);
            (await page.Locator("h1").InnerTextAsync()).ShouldBe("1 client matches");
            await Check(page, "find-one-match");
            await page.GetByRole(AriaRole.Link, new() { Name = $"Record that I work with Robin {familyName}" }).ClickAsync();
            await page.RecordsInvolvementAsync("officer in the case", "01632 960777", $"officer.{familyName.ToLowerInvariant()}@police.example.org");

            var socialWorkerRow = page.TeamMember(socialWorker.Name);
            (await socialWorkerRow.CountOnceLoadedAsync()).ShouldBe(1);
            // The search's purpose is carried to the client it found: shown on the page and recorded with the page's read.
            (await page.Locator("#read-purpose").InnerTextAsync()).ShouldBe("Purpose: Missing-from-home report for this child");
            var found = Guid.Parse(new Uri(page.Url).AbsolutePath.Split('/')[2]);
            // Every field of the page read's entry, from its columns: who, for which organisation, which client, the web
            // channel, the purpose, allowed by a rule, at a time within this test.
            var reads = (await AuditRows.OfAsync(server.Schema, "client.team.read", found)).Where(e => e.Purpose == "Missing-from-home report for this child").ToList();
            reads.ShouldNotBeEmpty();
            reads.ShouldAllBe(e => e.Practitioner == officer.Id.Value && e.PartnerSystem == null && e.Organisation == officer.Agency.Id.Value
                && e.Channel == "web" && e.Outcome == "allowed" && e.Rule != null && e.At >= started && e.At <= DateTimeOffset.UtcNow);
            // The row's call link says whose number it is; the email is in the row's details, opened on demand.
            (await socialWorkerRow.CallLink(socialWorker.Name, phone).GetAttributeAsync("href")).ShouldBe("tel:01632960555");
            await socialWorkerRow.OpensDetailsAsync();
            (await socialWorkerRow.GetByRole(AriaRole.Link, new() { Name = email, Exact = true }).GetAttributeAsync("href")).ShouldBe($"mailto:{email}");
            await page.SetViewportSizeAsync(375, 800);
            await page.ScreenshotAsync(new() { Path = Path.Combine(WebServer.Artefacts, $"client-as-officer{suffix}.png"), FullPage = true });
            await Check(page, "client-as-officer");

            // The client withdraws consent through the officer: the social worker drops out of the officer's view at once.
            await page.GetByRole(AriaRole.Link, new() { Name = "Withdraw consent to share with Police" }).ClickAsync();
            await Check(page, "withdraw-consent");
            await page.GetByRole(AriaRole.Button, new() { Name = "Withdraw consent" }).ClickAsync();
            await page.GetByText("The consent is withdrawn.").WaitForAsync();
            (await page.TeamMember(socialWorker.Name).CountOnceLoadedAsync()).ShouldBe(0);
            (await page.Locator("a[href='tel:01632960555']").CountOnceLoadedAsync()).ShouldBe(0);
        }

        await using (var context = await server.NewContextAsync(javaScript))
        {
            // Later sign-ins: the authenticator's code, or a recovery code when the phone is lost.
            var page = await context.NewPageAsync();
            await page.SignsInWithPasswordAsync(socialWorker);
            // The code page's field, not WaitForURLAsync, which waits for a load event Chromium may not report after a post.
            await page.GetByLabel("Enter the code from your authenticator app").WaitForAsync(new() { State = WaitForSelectorState.Attached });
            await page.ParsedAsync();
            page.Url.ShouldContain("/sign-in/code");
            await Check(page, "code");
            await page.GetByRole(AriaRole.Link, new() { Name = "I cannot use my authenticator app" }).ClickAsync();
            await Check(page, "recovery-code");
            await page.GetByLabel("Enter one of your recovery codes").FillAsync(recoveryCodes[0]);
            await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
            await page.GetByText("You have 9 recovery codes left.").WaitForAsync();
            await Check(page, "recovery-code-used");
            await page.GotoAsync("/");
            (await page.Locator("#my-clients").InnerTextAsync()).ShouldContain($"Robin {familyName}");

            // DESIGN §3 rule 9: the officer's joining made the social worker visible to them, and the social worker's history
            // names who (the feed relay's notice may land a moment after the officer's save, so look again until it has).
            var seenBy = $"{officer.Name} ({officer.Agency.Name}) can now see your involvement";
            await page.GetByRole(AriaRole.Link, new() { Name = $"Robin {familyName}" }).First.ClickAsync();
            var clientPage = page.Url;
            await Eventually.Within(TimeSpan.FromSeconds(60), async () =>
            {
                await page.GotoAsync(clientPage);
                return await page.GetByText(seenBy).CountOnceLoadedAsync();
            }, count => count == 1, "the history line naming the officer");
        }

        (await server.AuditCountAsync("client.search", "web")).ShouldBeGreaterThanOrEqualTo(2);
        (await server.AuditCountAsync("client.team.read", "web")).ShouldBeGreaterThanOrEqualTo(2);
        (await server.AuditCountAsync("involvement.record", "web")).ShouldBeGreaterThanOrEqualTo(2);

        Task Check(IPage page, string name) => check?.Invoke(page, name) ?? Task.CompletedTask;
    }
}
