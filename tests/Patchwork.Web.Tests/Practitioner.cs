using Microsoft.Playwright;
using Patchwork.Server.Demo;
using Patchwork.Testing;

namespace Patchwork.Web.Tests;

/// <summary>What a practitioner does through the pages, in their words; each step waits for the page the browser lands on.</summary>
public static class Practitioner
{
    /// <summary>First sign-in: password, then enrolling an authenticator from the key the page shows. Returns the key and the recovery codes.</summary>
    public static async Task<(string Key, IReadOnlyList<string> RecoveryCodes)> SignsInForTheFirstTimeAsync(this IPage page, DemoPartnership.Staff staff,
        Func<IPage, string, Task>? onEachPage = null)
    {
        await page.GotoAsync("/");
        page.Url.ShouldContain("/sign-in");
        await Seen(page, "sign-in", onEachPage);
        await page.SignsInWithPasswordAsync(staff);
        // After a form post Chromium may not report the load event, and WaitForURLAsync waits for it once the address
        // already matches: wait for the enrol page's key in the DOM instead, then for the page to be parsed.
        await page.Locator("#shared-key").WaitForAsync(new() { State = WaitForSelectorState.Attached });
        await page.ParsedAsync();
        page.Url.ShouldContain("/sign-in/enrol");
        await Seen(page, "enrol", onEachPage);
        var key = (await page.Locator("#shared-key").GetAttributeAsync("data-key"))!;
        await page.GetByLabel("Enter the 6-digit code the app shows").FillAsync(Totp.Now(key));
        await page.GetByRole(AriaRole.Button, new() { Name = "Continue" }).ClickAsync();
        await page.GetByRole(AriaRole.Heading, new() { Name = "Your authenticator app is set up" }).WaitForAsync();
        await Seen(page, "recovery-codes", onEachPage);
        var codes = await page.Locator("#recovery-codes li").AllInnerTextsAsync();
        codes.Count.ShouldBe(10);
        await page.GetByRole(AriaRole.Link, new() { Name = "Continue to Patchwork" }).ClickAsync();
        await page.GetByRole(AriaRole.Heading, new() { Name = "My clients" }).WaitForAsync();
        return (key, codes);
    }

    public static async Task SignsInWithPasswordAsync(this IPage page, DemoPartnership.Staff staff)
    {
        if (!page.Url.Contains("/sign-in", StringComparison.Ordinal)) await page.GotoAsync("/sign-in");
        await page.GetByLabel("Email address").FillAsync(WebServer.EmailOf(staff));
        await page.GetByLabel("Password").FillAsync(WebServer.Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Continue" }).ClickAsync();
    }

    /// <summary>Searches by family name and date of birth, choosing <paramref name="purpose"/> by its words when it is common, else writing it in.</summary>
    public static async Task FindsByNameAndBirthAsync(this IPage page, string purpose, string familyName, DateOnly born)
    {
        await page.GotoAsync("/clients/find");
        var common = page.GetByLabel(purpose, new() { Exact = true });
        if (await common.CountAsync() == 1) await common.CheckAsync();
        else
        {
            await page.GetByLabel("Another purpose", new() { Exact = true }).CheckAsync();
            await page.GetByLabel("If another purpose, say what it is").FillAsync(purpose);
        }
        await page.GetByLabel("Family name").FillAsync(familyName);
        await page.GetByLabel("Day").FillAsync(born.Day.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await page.GetByLabel("Month").FillAsync(born.Month.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await page.GetByLabel("Year").FillAsync(born.Year.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await page.GetByRole(AriaRole.Button, new() { Name = "Search" }).ClickAsync();
        await page.Locator("h1").Filter(new() { HasTextRegex = new System.Text.RegularExpressions.Regex("match") }).WaitForAsync();
    }

    /// <summary>
    /// Opens a client's page, stating <paramref name="purpose"/> when the page asks why (no purpose kept from a search):
    /// one of the common purposes is chosen by its label, any other is written in. Returns the answer to the page's read.
    /// </summary>
    public static async Task<IResponse?> OpensClientAsync(this IPage page, string path, string purpose = "Casework with my client")
    {
        var response = await page.GotoAsync(path);
        if (await page.Locator("#state-purpose").CountOnceLoadedAsync() == 0) return response;
        return await page.StatesPurposeAsync(path, purpose);
    }

    /// <summary>Answers the client page's "Why are you looking at this client?" form; returns the answer to the page it leads to.</summary>
    public static async Task<IResponse> StatesPurposeAsync(this IPage page, string path, string purpose)
    {
        var common = page.Locator("#state-purpose").GetByLabel(purpose, new() { Exact = true });
        if (await common.CountAsync() == 1) await common.CheckAsync();
        else
        {
            await page.GetByLabel("Another purpose", new() { Exact = true }).CheckAsync();
            await page.GetByLabel("If another purpose, say what it is").FillAsync(purpose);
        }
        var response = await page.RunAndWaitForResponseAsync(
            () => page.GetByRole(AriaRole.Button, new() { Name = "Continue" }).ClickAsync(),
            r => r.Request.Method == "GET" && new Uri(r.Url).AbsolutePath == path);
        await page.ParsedAsync();
        return response;
    }

    public static async Task RecordsInvolvementAsync(this IPage page, string role, string phone, string email)
    {
        await page.GetByLabel("Your role with this client").FillAsync(role);
        await page.GetByLabel("Phone number for this client's team").FillAsync(phone);
        await page.GetByLabel("Email address for this client's team").FillAsync(email);
        await page.GetByRole(AriaRole.Button, new() { Name = "Record involvement" }).ClickAsync();
        await page.GetByText("Your involvement is recorded.").WaitForAsync();
    }

    /// <summary>
    /// A row of the client page's team list, found by its heading: a team member's name, "You", or "Another service is involved".
    /// </summary>
    public static ILocator TeamMember(this IPage page, string heading) => page.Locator("#team [data-team-member]")
        .Filter(new() { Has = page.GetByRole(AriaRole.Heading, new() { Name = heading, Exact = true }) });

    /// <summary>The link that calls a team member, named for whom and which number (its visible text is "Call" and the number).</summary>
    public static ILocator CallLink(this ILocator member, string name, string phone) =>
        member.GetByRole(AriaRole.Link, new() { Name = $"Call {name} on {phone}", Exact = true });

    /// <summary>
    /// Opens a team member's details (email, job title, since when): a details element, which needs no script.
    /// With JavaScript the live feed may re-read the team and redraw the list just after the click, closing the details
    /// again: the click is repeated until they stay open, within a deadline.
    /// </summary>
    public static async Task OpensDetailsAsync(this ILocator member)
    {
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (true)
        {
            // Clicked only while closed: a click on open details would close them.
            if (await member.Locator("details[open]").CountAsync() == 0) await member.Locator("summary").ClickAsync();
            try
            {
                await member.Locator("details[open]").WaitForAsync(new() { Timeout = 5_000 });
                return;
            }
            catch (TimeoutException) when (DateTime.UtcNow < deadline)
            {
            }
        }
    }

    /// <summary>
    /// On a phone with JavaScript, the navigation sits behind the Menu button — once GOV.UK Frontend has started, which
    /// can be after the page has loaded (its module is imported by an awaited import). Until then the Sign out button is
    /// shown, and a click begun on it can find it hidden: so ask again, opening the menu whenever it hides the button.
    /// </summary>
    public static async Task SignsOutAsync(this IPage page)
    {
        var menu = page.GetByRole(AriaRole.Button, new() { Name = "Menu" });
        var signOut = page.GetByRole(AriaRole.Button, new() { Name = "Sign out" });
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        while (true)
        {
            if (await menu.IsVisibleAsync() && !await signOut.IsVisibleAsync()) await menu.ClickAsync();
            try
            {
                await signOut.ClickAsync(new() { Timeout = 5_000 });
                return;
            }
            catch (TimeoutException) when (DateTime.UtcNow < deadline)
            {
            }
        }
    }

    /// <summary>
    /// How many elements match once the page the browser landed on is parsed past its content. A bare count taken just
    /// after a navigation commits can see half a document: 0 cards where the finished page has 1.
    /// </summary>
    public static async Task<int> CountOnceLoadedAsync(this ILocator locator)
    {
        await locator.Page.ParsedAsync();
        return await locator.CountAsync();
    }

    /// <summary>
    /// Waits until the page's footer, the last thing in every page's body, is in the DOM: everything above it is parsed.
    /// A DOM condition rather than the load event, which Chromium was seen not to report after a form post.
    /// </summary>
    public static Task ParsedAsync(this IPage page) =>
        page.Locator("footer.govuk-footer").WaitForAsync(new() { State = WaitForSelectorState.Attached });

    private static Task Seen(IPage page, string name, Func<IPage, string, Task>? onEachPage) => onEachPage?.Invoke(page, name) ?? Task.CompletedTask;
}
