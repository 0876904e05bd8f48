using System.Collections.Concurrent;
using System.Globalization;
using Deque.AxeCore.Commons;
using Deque.AxeCore.Playwright;
using Microsoft.Playwright;

namespace Patchwork.Web.Tests;

/// <summary>
/// What every page must pass, checked where the journey reaches it: 0 axe-core violations against WCAG 2.2 AA's rules, no
/// horizontal scroll at 320 px and 1280 px, HTML + CSS + JS within 150 KB uncompressed (fonts aside), and a full-page
/// screenshot at 375 px kept under artifacts/web.
/// </summary>
public static class PageChecks
{
    public const long BudgetBytes = 150 * 1024;

    private static readonly string[] WcagTags = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"];

    /// <summary>Each page's measured weight, written to artifacts/web/page-weights.txt as the run goes.</summary>
    public static ConcurrentDictionary<string, string> Weights { get; } = new();

    public static async Task CheckAsync(IPage page, string name)
    {
        // Checked whole: a journey may call this the moment a click's navigation commits.
        await page.ParsedAsync();
        await page.SetViewportSizeAsync(375, 800);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(WebServer.Artefacts, $"{name}.png"), FullPage = true });

        var axe = await page.RunAxe(new AxeRunOptions { RunOnly = new RunOnlyOptions { Type = "tag", Values = [.. WcagTags] } });
        axe.Violations.ShouldBeEmpty($"{name}: " + string.Join("; ", axe.Violations.Select(v =>
            $"{v.Id} ({v.Impact}): {v.Help} at {string.Join(", ", v.Nodes.Select(n => n.Target?.ToString()))}")));

        foreach (var width in new[] { 320, 1280 })
        {
            await page.SetViewportSizeAsync(width, 800);
            var widths = await page.EvaluateAsync<int[]>("() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]");
            widths[0].ShouldBeLessThanOrEqualTo(widths[1], $"{name} scrolls sideways at {width} px");
        }
        await page.SetViewportSizeAsync(375, 800);

        // The page's own HTML and each stylesheet and script it loaded, uncompressed (what a phone parses; compression only
        // helps the wire). Fonts are left out.
        var entries = await page.EvaluateAsync<string[]>("""
            () => [location.href, String(performance.getEntriesByType('navigation')[0].decodedBodySize),
                   ...performance.getEntriesByType('resource').map(e => e.name).filter(n => /\.(css|js|mjs)(\?|$)/.test(n))]
            """);
        long html = long.Parse(entries[1], CultureInfo.InvariantCulture), total = html;
        foreach (var asset in entries.Skip(2).Distinct()) total += (await (await page.APIRequest.GetAsync(asset)).BodyAsync()).Length;
        Weights[name] = string.Create(CultureInfo.InvariantCulture,
            $"{name}: {total} bytes uncompressed ({html} HTML + {total - html} CSS/JS in {entries.Length - 2} files)");
        await File.WriteAllLinesAsync(Path.Combine(WebServer.Artefacts, "page-weights.txt"), Weights.Values.Order(StringComparer.Ordinal));
        html.ShouldBeGreaterThan(0);
        total.ShouldBeLessThanOrEqualTo(BudgetBytes, $"{name} weighs {total} bytes uncompressed");
    }
}
