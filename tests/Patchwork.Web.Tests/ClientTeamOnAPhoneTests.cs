using System.Globalization;
using Microsoft.Playwright;
using Patchwork.Server.Demo;
using Xunit.Abstractions;

namespace Patchwork.Web.Tests;

/// <summary>
/// Issue 25: on a phone the client page shows who to call first. The demo client Ellie's team as the police officer sees
/// it — four rows: the social worker, the school's safeguarding lead, the officer themself and a service they may not
/// name — lies within the first screen of a 375 × 667 px viewport (an iPhone SE's) with JavaScript. Without it GOV.UK's
/// menu is not collapsed behind its button (four links stacked, 110 px more), so there the screen is 375 × 812 px (an
/// iPhone 13 mini's). Each first screen is kept as a screenshot (docs/screenshots/client-team-375.png is a copy).
/// </summary>
public sealed class ClientTeamOnAPhoneTests(WebServer server, ITestOutputHelper output) : IClassFixture<WebServer>
{
    private const int Width = 375;

    private const int PhoneScreen = 667;

    private const int TallPhoneScreen = 812;

    [Fact]
    public async Task The_officer_sees_all_four_of_Ellies_team_with_whom_to_call_on_the_first_screen_with_and_without_JavaScript()
    {
        await using var withScript = await server.NewContextAsync(javaScript: true, width: Width);
        var page = await withScript.NewPageAsync();
        await page.SignsInForTheFirstTimeAsync(DemoPartnership.PoliceOfficer);
        await page.SetViewportSizeAsync(Width, PhoneScreen);
        await page.OpensClientAsync(ClientTaskTests.Ellie);
        await TeamOnTheFirstScreenAsync(page, PhoneScreen, "client-team-375");
        await PageChecks.CheckAsync(page, "client-team");

        // The same practitioner's session in a browser with JavaScript off: the rows are plain CSS, the details a native element.
        await using var withoutScript = await server.NewContextAsync(javaScript: false, width: Width);
        await withoutScript.AddCookiesAsync((await withScript.CookiesAsync()).Select(c => new Cookie
        {
            Name = c.Name,
            Value = c.Value,
            Domain = c.Domain,
            Path = c.Path,
            Expires = c.Expires,
            HttpOnly = c.HttpOnly,
            Secure = c.Secure,
            SameSite = c.SameSite,
        }));
        var plain = await withoutScript.NewPageAsync();
        await plain.SetViewportSizeAsync(Width, TallPhoneScreen);
        await plain.OpensClientAsync(ClientTaskTests.Ellie);
        await TeamOnTheFirstScreenAsync(plain, TallPhoneScreen, "client-team-375-no-js");
    }

    /// <summary>Each row of the team, with its name and its call link or request button, ends above the first screen's bottom edge.</summary>
    private async Task TeamOnTheFirstScreenAsync(IPage page, int screen, string screenshot)
    {
        await page.ParsedAsync();
        (await page.EvaluateAsync<int>("() => window.scrollY")).ShouldBe(0, "the page opens at its top");
        await page.ScreenshotAsync(new() { Path = Path.Combine(WebServer.Artefacts, $"{screenshot}.png") });
        var rows = page.Locator("#team [data-team-member]");
        (await rows.Locator(".patchwork-team__name").AllInnerTextsAsync()).ShouldBe(
            [DemoPartnership.SocialWorker.Name, DemoPartnership.Teacher.Name, "You", "Another service is involved"], ignoreOrder: true);

        foreach (var staff in new[] { DemoPartnership.SocialWorker, DemoPartnership.Teacher })
        {
            var row = page.TeamMember(staff.Name);
            var call = row.CallLink(staff.Name, staff.Contact.Phone!);
            (await call.GetAttributeAsync("href")).ShouldBe("tel:" + staff.Contact.Phone!.Replace(" ", "", StringComparison.Ordinal));
            await OnTheFirstScreenAsync(screen, row.Locator(".patchwork-team__name"), staff.Name);
            await OnTheFirstScreenAsync(screen, call, $"the link to call {staff.Name}");
            await OnTheFirstScreenAsync(screen, row, $"{staff.Name}'s row");
        }
        await OnTheFirstScreenAsync(screen, page.TeamMember("You"), "the officer's own row");
        var masked = page.TeamMember("Another service is involved");
        await OnTheFirstScreenAsync(screen, masked.GetByRole(AriaRole.Button, new() { Name = "Request contact" }), "the request contact button");
        await OnTheFirstScreenAsync(screen, masked, "the masked service's row");

        var height = await page.EvaluateAsync<int>("() => document.documentElement.scrollHeight");
        var teamBottom = await BottomAsync(rows.Last);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{screenshot}: team ends at {teamBottom} px of {screen}; page {height} px tall"));
    }

    private static async Task OnTheFirstScreenAsync(int screen, ILocator element, string what)
    {
        var box = (await element.BoundingBoxAsync()).ShouldNotBeNull($"{what} is not shown");
        box.Y.ShouldBeGreaterThanOrEqualTo(0, what);
        (box.Y + box.Height).ShouldBeLessThanOrEqualTo(screen, $"{what} ends below the first screen of a {Width} × {screen} px phone");
    }

    private static async Task<float> BottomAsync(ILocator element) => (await element.BoundingBoxAsync()) is { } box ? box.Y + box.Height : float.NaN;
}
