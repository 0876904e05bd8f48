using System.Collections.Concurrent;
using System.Globalization;
using Deque.AxeCore.Commons;
using Deque.AxeCore.Playwright;
using Microsoft.Playwright;

namespace Patchwork.Web.Tests;

/// <summary>
/// What every page must pass, checked where the journey reaches it: 0 axe-core violations against WCAG 2.2 AA's rules, no
/// horizontal scroll at 320 px and 1280 px, HTML + CSS + JS within 150 KB over the wire (fonts aside), and a full-page
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

        // The page's own HTML as received (uncompressed: pages carry tokens, so they are never compressed), and each stylesheet
        // and script it loaded, gzipped as the build precompresses them for production. Fonts are left out.
        var entries = await page.EvaluateAsync<string[]>("""
            () => [location.href, String(performance.getEntriesByType('navigation')[0].decodedBodySize),
                   ...performance.getEntriesByType('resource').map(e => e.name).filter(n => /\.(css|js|mjs)(\?|$)/.test(n))]
            """);
        long html = long.Parse(entries[1], CultureInfo.InvariantCulture), decoded = html, wire = html;
        foreach (var asset in entries.Skip(2).Distinct())
        {
            var body = await (await page.APIRequest.GetAsync(asset)).BodyAsync();
            decoded += body.Length;
            wire += Gzipped(body);
        }
        Weights[name] = string.Create(CultureInfo.InvariantCulture,
            $"{name}: {wire} bytes over the wire ({html} HTML + gzipped CSS/JS), {decoded} bytes decoded, {entries.Length - 2} CSS/JS files");
        await File.WriteAllLinesAsync(Path.Combine(WebServer.Artefacts, "page-weights.txt"), Weights.Values.Order(StringComparer.Ordinal));
        html.ShouldBeGreaterThan(0);
        wire.ShouldBeLessThanOrEqualTo(BudgetBytes, $"{name} weighs {wire} bytes");
    }

    private static long Gzipped(byte[] body)
    {
        using var compressed = new MemoryStream();
        using (var gzip = new System.IO.Compression.GZipStream(compressed, System.IO.Compression.CompressionLevel.Optimal, leaveOpen: true)) gzip.Write(body);
        return compressed.Length;
    }
}
