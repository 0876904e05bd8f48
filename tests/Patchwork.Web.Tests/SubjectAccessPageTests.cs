using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Patchwork.Server.Demo;

namespace Patchwork.Web.Tests;

/// <summary>
/// Issue 24: the person's copy of a subject access export, as a data protection officer reaches it in Chromium — from who
/// viewed, stating why — passes axe and 320 px like every page, and prints on A4 with the page's content only.
/// </summary>
public sealed partial class SubjectAccessPageTests(WebServer server) : IClassFixture<WebServer>
{
    private const string Purpose = "Subject access request from Ellie's mother";

    [Fact]
    public async Task The_DPO_prepares_Ellies_copy_from_who_viewed_and_it_passes_axe_fits_320_px_and_prints_on_A4_without_the_menus()
    {
        await using var context = await server.NewContextAsync(javaScript: true, width: 1280);
        var page = await context.NewPageAsync();
        await page.SignsInForTheFirstTimeAsync(DemoPartnership.SocialCareDpo);
        await page.GotoAsync($"{ClientTaskTests.Ellie}/who-viewed");
        await page.GetByRole(AriaRole.Link, new() { Name = "Prepare a copy for the person" }).ClickAsync();
        await page.GetByLabel("Why are you preparing this copy?").FillAsync(Purpose);
        await page.GetByRole(AriaRole.Button, new() { Name = "Prepare the copy" }).ClickAsync();
        await page.GetByRole(AriaRole.Heading, new() { Name = "What Patchwork holds about Ellie Marsh-Whitfield" }).WaitForAsync();

        (await page.Locator("#worked-with tbody tr", new() { HasText = DemoPartnership.SocialCare.Name }).CountAsync()).ShouldBeGreaterThan(0);
        (await page.Locator("#other-services").InnerTextAsync()).ShouldContain("Another service also works with you");
        (await page.Locator("#looks tbody tr").Last.InnerTextAsync()).ShouldContain(Purpose, Case.Sensitive, "the copy's own preparation is its last look");
        await PageChecks.CheckAsync(page, "subject-access");

        // On screen the menu, the way back and the printing help are there; printed, only the copy is.
        await page.SetViewportSizeAsync(1280, 800);
        string[] screenOnly = ["nav[aria-label='Menu']", ".govuk-back-link", "#print-help", ".govuk-phase-banner", ".govuk-footer"];
        foreach (var selector in screenOnly) (await page.Locator(selector).First.IsVisibleAsync()).ShouldBeTrue($"{selector} on screen");
        await page.EmulateMediaAsync(new() { Media = Media.Print });
        foreach (var selector in screenOnly) (await page.Locator(selector).First.IsVisibleAsync()).ShouldBeFalse($"{selector} printed");
        foreach (var table in new[] { "#worked-with", "#shared", "#looks" }) (await page.Locator(table).IsVisibleAsync()).ShouldBeTrue($"{table} printed");

        // The stylesheet's own page size: Chromium prints the PDF on A4 (595 × 842 pt), not its default Letter (612 × 792 pt).
        var pdf = Encoding.Latin1.GetString(await page.PdfAsync(new() { PreferCSSPageSize = true }));
        var boxes = MediaBox().Matches(pdf).Select(m => (Width: double.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture),
            Height: double.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture))).ToList();
        boxes.ShouldNotBeEmpty("the printout has pages");
        boxes.ShouldAllBe(box => Math.Abs(box.Width - 595.3) < 1.5 && Math.Abs(box.Height - 841.9) < 1.5);
        await page.EmulateMediaAsync(new() { Media = Media.Screen });
    }

    [GeneratedRegex(@"/MediaBox\s*\[\s*0\s+0\s+([0-9.]+)\s+([0-9.]+)\s*\]")]
    private static partial Regex MediaBox();
}
