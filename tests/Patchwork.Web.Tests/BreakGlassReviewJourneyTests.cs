using Microsoft.Playwright;
using Patchwork.Server.Demo;
using Patchwork.Testing;

namespace Patchwork.Web.Tests;

/// <summary>
/// The break-glass review queue in a real browser: Social Care's social worker breaks glass on Ellie; Social Care's DPO
/// finds the use under "Break-glass reviews" with the reason given, records that it was not justified, and finds it among
/// the reviewed uses. A practitioner has neither the link nor the page. The pages pass axe, 320 px and the weight budget.
/// </summary>
public sealed class BreakGlassReviewJourneyTests(WebServer server) : IClassFixture<WebServer>
{
    private const string Reason = "Ellie missing overnight; police asked who else is working with her";

    [Fact]
    public async Task A_DPO_reads_the_reason_for_a_use_of_break_glass_and_records_a_finding()
    {
        await using (var workers = await server.NewContextAsync())
        {
            var worker = await workers.NewPageAsync();
            await worker.SignsInForTheFirstTimeAsync(DemoPartnership.SocialWorker);
            (await worker.Locator("#navigation a[href='/break-glass/reviews']").CountOnceLoadedAsync()).ShouldBe(0, "a practitioner reviews nothing");
            (await worker.GotoAsync("/break-glass/reviews"))!.Status.ShouldBe(404);
            await worker.GotoAsync(ClientTaskTests.Ellie + "/break-glass");
            await worker.GetByLabel("Why do you need emergency access?").FillAsync(Reason);
            await worker.GetByLabel("4 hours").CheckAsync();
            await worker.GetByRole(AriaRole.Button, new() { Name = "Use emergency access" }).ClickAsync();
            // The grant is stored (its audit entry commits with it) before anything reads it; then the worker's page shows it.
            await Eventually.Within(TimeSpan.FromSeconds(60), async () => await server.AuditCountAsync("break-glass.grant", "web") == 1, "the break-glass stored");
            await worker.OpensClientAsync(ClientTaskTests.Ellie);
            await worker.Locator("#break-glass").WaitForAsync();
        }

        await using var dpos = await server.NewContextAsync();
        var dpo = await dpos.NewPageAsync();
        await dpo.SignsInForTheFirstTimeAsync(DemoPartnership.SocialCareDpo);
        (await dpo.Locator("#navigation a[href='/break-glass/reviews']").CountOnceLoadedAsync()).ShouldBe(1);
        await dpo.GotoAsync("/break-glass/reviews");
        await dpo.GetByRole(AriaRole.Heading, new() { Name = "Break-glass uses to review" }).WaitForAsync();
        var use = dpo.Locator(".govuk-summary-card", new() { HasText = Reason });
        (await use.CountAsync()).ShouldBe(1);
        (await use.InnerTextAsync()).ShouldContain(DemoPartnership.SocialWorker.Name);
        await PageChecks.CheckAsync(dpo, "break-glass-reviews");

        await use.GetByRole(AriaRole.Button, new() { NameRegex = new System.Text.RegularExpressions.Regex("^Not justified") }).ClickAsync();
        await dpo.Locator(".govuk-notification-banner--success", new() { HasText = "not justified" }).WaitForAsync();
        (await dpo.Locator(".govuk-summary-card", new() { HasText = Reason }).CountAsync()).ShouldBe(0, "a reviewed use leaves the queue");

        await dpo.GetByRole(AriaRole.Link, new() { Name = "Uses already reviewed" }).ClickAsync();
        var reviewed = dpo.Locator(".govuk-summary-card", new() { HasText = Reason });
        await reviewed.WaitForAsync();
        (await reviewed.InnerTextAsync()).ShouldContain("Not justified");
        await PageChecks.CheckAsync(dpo, "break-glass-reviewed");
        (await server.AuditCountAsync("break-glass.review", "web")).ShouldBe(1);
        (await server.AuditCountAsync("break-glass.reviews.read", "web")).ShouldBeGreaterThanOrEqualTo(2);
    }
}
