using Microsoft.Playwright;
using Patchwork.Server.Demo;

namespace Patchwork.Web.Tests;

/// <summary>
/// What travels compressed and what may be cached (issue 25, SECURITY.md "BREACH"): static assets precompressed under
/// fingerprinted URLs cached for a year; signed-in pages compressed; the pages that show a secret never compressed.
/// </summary>
public sealed class CompressionTests(WebServer server) : IClassFixture<WebServer>
{
    [Fact]
    public async Task Pages_are_compressed_except_those_showing_a_secret_and_assets_are_precompressed_and_immutable()
    {
        await using var browser = await server.NewContextAsync();
        var page = await browser.NewPageAsync();
        await page.SignsInForTheFirstTimeAsync(DemoPartnership.PartnershipAdmin);
        var gzip = new Dictionary<string, string> { ["Accept-Encoding"] = "gzip, br" };

        async Task<IAPIResponse> GetAsync(string path) => await page.APIRequest.GetAsync(path, new() { Headers = gzip, MaxRedirects = 0 });

        var home = await GetAsync("/");
        home.Status.ShouldBe(200);
        home.Headers.GetValueOrDefault("content-encoding").ShouldBeOneOf("gzip", "br");

        foreach (var secret in new[] { "/sign-in", "/admin/partner-systems" })
        {
            var response = await GetAsync(secret);
            response.Status.ShouldBe(200, secret);
            response.Headers.ContainsKey("content-encoding").ShouldBeFalse($"{secret} shows secrets and must not be compressed");
        }

        // The stylesheet the page names is fingerprinted, precompressed and immutable; a conditional request gets a 304.
        var stylesheet = await page.Locator("link[rel='stylesheet']").First.GetAttributeAsync("href");
        stylesheet.ShouldNotBeNull();
        stylesheet.ShouldMatch(@"^/lib/govuk-frontend/govuk-frontend\.min\.[a-z0-9]+\.css$");
        var css = await GetAsync(stylesheet);
        css.Headers["content-encoding"].ShouldBe("gzip");
        css.Headers["cache-control"].ShouldContain("immutable");
        var again = await page.APIRequest.GetAsync(stylesheet, new() { Headers = new Dictionary<string, string>(gzip) { ["If-None-Match"] = css.Headers["etag"] } });
        again.Status.ShouldBe(304);
    }
}
