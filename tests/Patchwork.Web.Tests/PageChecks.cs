using System.Collections.Concurrent;
using System.Globalization;
using Deque.AxeCore.Commons;
using Deque.AxeCore.Playwright;
using Microsoft.Playwright;

namespace Patchwork.Web.Tests;

/// <summary>
/// What every page must pass, checked where the journey reaches it: 0 axe-core violations against WCAG 2.2 AA's rules, no
/// horizontal scroll at 320 px and 1280 px, at most 100 KB transferred on a first visit and 20 KB on a repeat visit (fonts
/// aside; measured from the browser's resource timing and written to artifacts/web/page-weights.txt beside the
/// uncompressed figure), and a full-page screenshot at 375 px kept under artifacts/web.
/// </summary>
public static class PageChecks
{
    /// <summary>Bytes transferred (compressed, headers included) on a first visit with an empty cache, fonts aside.</summary>
    public const long FirstVisitBudget = 100 * 1024;

    /// <summary>Bytes transferred on a repeat visit with a warm cache: the page itself, and nothing the cache holds.</summary>
    public const long RepeatVisitBudget = 20 * 1024;

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

        // Bytes transferred, from the browser's own resource timing: the page's HTML (never cached: pages are no-store) and
        // every stylesheet and script it loaded. A first visit pays each file's encoded (compressed) body; a repeat visit
        // pays what the browser's cache does not answer for — each file is fetched again from the page, as its next view
        // would, and its transfer size read (0 when the cache answered; headers only for a 304). Fonts are left out.
        // Beside them, the uncompressed bytes a phone parses.
        if (await page.Locator("meta[name='patchwork-notice-position']").CountAsync() > 0)
            await page.Locator("#live-notices[data-feed]").WaitForAsync(new() { State = WaitForSelectorState.Attached, Timeout = 120_000 });
        var weight = await page.EvaluateAsync<double[]>("""
            async () => {
              const asset = e => /\.(css|js|mjs)(\?|$)/.test(e.name);
              const navigation = performance.getEntriesByType('navigation')[0];
              const loaded = performance.getEntriesByType('resource').filter(asset);
              const files = [...new Map(loaded.map(e => [e.name, e])).values()];
              const first = navigation.transferSize + files.reduce((sum, e) => sum + Math.max(e.transferSize, e.encodedBodySize), 0);
              const plain = navigation.decodedBodySize + files.reduce((sum, e) => sum + e.decodedBodySize, 0);
              const before = performance.getEntriesByType('resource').length;
              await Promise.all(files.map(e => fetch(e.name).then(r => r.arrayBuffer())));
              const again = performance.getEntriesByType('resource').slice(before).filter(asset);
              const repeat = navigation.transferSize + again.reduce((sum, e) => sum + e.transferSize, 0);
              return [first, repeat, plain, navigation.transferSize, files.length];
            }
            """);
        long first = (long)weight[0], repeat = (long)weight[1], plain = (long)weight[2], html = (long)weight[3];
        Weights[name] = string.Create(CultureInfo.InvariantCulture,
            $"{name}: first visit {first} bytes transferred ({html} HTML + {first - html} CSS/JS in {weight[4]} files), repeat visit {repeat}, uncompressed {plain}");
        await File.WriteAllLinesAsync(Path.Combine(WebServer.Artefacts, "page-weights.txt"), Weights.Values.Order(StringComparer.Ordinal));
        html.ShouldBeGreaterThan(0);
        first.ShouldBeLessThanOrEqualTo(FirstVisitBudget, $"{name} costs {first} bytes on a first visit");
        repeat.ShouldBeLessThanOrEqualTo(RepeatVisitBudget, $"{name} costs {repeat} bytes on a repeat visit");
    }
}
