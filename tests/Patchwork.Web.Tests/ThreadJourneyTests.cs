using Microsoft.Playwright;
using Patchwork.Server.Demo;

namespace Patchwork.Web.Tests;

/// <summary>
/// The thread journey on the demo's Ellie, in a real browser: the police officer starts a thread with the designated
/// safeguarding lead (each sees the other under Ellie's consents), withdraws a message sent by mistake, replies; the
/// teacher reads it; the officer then sees the teacher's read receipt. With JavaScript every page passes its checks.
/// </summary>
public sealed class ThreadJourneyTests(WebServer server) : IClassFixture<WebServer>
{
    [Fact]
    public Task With_JavaScript_the_thread_journey_works_and_every_page_passes_its_checks() => ThreadJourney.RunAsync(server, javaScript: true);
}

/// <summary>The same journey with JavaScript off: plain forms and redirects only. A host of its own, as each demo practitioner enrols once.</summary>
public sealed class ThreadJourneyWithoutJavaScriptTests(WebServer server) : IClassFixture<WebServer>
{
    [Fact]
    public Task Without_JavaScript_the_thread_journey_works() => ThreadJourney.RunAsync(server, javaScript: false);
}

internal static class ThreadJourney
{
    public static async Task RunAsync(WebServer server, bool javaScript)
    {
        var suffix = javaScript ? "" : "-no-js";
        Task Check(IPage page, string name) => javaScript ? PageChecks.CheckAsync(page, name) : Task.CompletedTask;
        var ellie = $"/clients/{DemoPartnership.Ellie.Value}";
        string thread;

        await using var officersBrowser = await server.NewContextAsync(javaScript);
        var officer = await officersBrowser.NewPageAsync();
        {
            await officer.SignsInForTheFirstTimeAsync(DemoPartnership.PoliceOfficer);
            await officer.OpensClientAsync(ellie);
            await officer.GetByRole(AriaRole.Link, new() { NameRegex = new System.Text.RegularExpressions.Regex("^Messages about") }).ClickAsync();
            await officer.GetByRole(AriaRole.Heading, new() { NameRegex = new System.Text.RegularExpressions.Regex("^Messages about") }).WaitForAsync();
            await Check(officer, "threads-empty");

            await officer.GetByRole(AriaRole.Button, new() { Name = "Start thread" }).ClickAsync();
            await officer.Locator(".govuk-error-summary").WaitForAsync();
            await Check(officer, "threads-errors");
            await officer.GetByLabel(DemoPartnership.Teacher.Name).CheckAsync();
            await officer.GetByLabel("Message", new() { Exact = true }).FillAsync("Sent to the wrong thread, sorry.");
            await officer.GetByRole(AriaRole.Button, new() { Name = "Start thread" }).ClickAsync();
            await officer.GetByRole(AriaRole.Heading, new() { NameRegex = new System.Text.RegularExpressions.Regex("^Thread about") }).WaitForAsync();
            thread = new Uri(officer.Url).AbsolutePath;

            await officer.GetByRole(AriaRole.Button, new() { NameRegex = new System.Text.RegularExpressions.Regex("^Withdraw") }).ClickAsync();
            await officer.GetByText("Message withdrawn").WaitForAsync();
            (await officer.GetByText("Sent to the wrong thread, sorry.").CountOnceLoadedAsync()).ShouldBe(0);

            await officer.GetByRole(AriaRole.Button, new() { Name = "Send reply" }).ClickAsync();
            await officer.Locator(".govuk-error-summary").WaitForAsync();
            await Check(officer, "thread-errors");
            await officer.GetByLabel("Reply").FillAsync("Ellie was seen near the station at 11pm.\nCan we speak before Friday?");
            await officer.GetByRole(AriaRole.Button, new() { Name = "Send reply" }).ClickAsync();
            await officer.GetByText("Ellie was seen near the station at 11pm.").WaitForAsync();
            await officer.SetViewportSizeAsync(375, 800);
            await officer.ScreenshotAsync(new() { Path = Path.Combine(WebServer.Artefacts, $"thread{suffix}.png"), FullPage = true });
            await Check(officer, "thread");
        }

        await using (var context = await server.NewContextAsync(javaScript))
        {
            var teacher = await context.NewPageAsync();
            await teacher.SignsInForTheFirstTimeAsync(DemoPartnership.Teacher);
            await teacher.GotoAsync($"{ellie}/threads");
            (await teacher.Locator("#threads").InnerTextAsync()).ShouldContain("1 unread");
            await Check(teacher, "threads");
            await teacher.GotoAsync(thread);
            await teacher.GetByText("Can we speak before Friday?").WaitForAsync();
            (await teacher.GetByText("Message withdrawn").CountOnceLoadedAsync()).ShouldBe(1);
            (await teacher.GetByRole(AriaRole.Button, new() { NameRegex = new System.Text.RegularExpressions.Regex("^Withdraw") }).CountOnceLoadedAsync()).ShouldBe(0);

            if (javaScript)
            {
                // The teacher keeps the thread open; the officer's next reply appears on it without a reload, with a banner.
                var loaded = await teacher.EvaluateAsync<double>("performance.timeOrigin");
                await officer.GetByLabel("Reply").FillAsync("Are you free at 3pm?");
                await officer.GetByRole(AriaRole.Button, new() { Name = "Send reply" }).ClickAsync();
                await teacher.Locator("#messages").GetByText("Are you free at 3pm?").WaitForAsync(new() { Timeout = 120_000 });
                // This thread's own notice, not any banner: only a notice naming this thread adds this line.
                await teacher.Locator("#live-notices .govuk-notification-banner", new() { HasText = "This thread has changed" })
                    .WaitForAsync(new() { Timeout = 120_000 });
                (await teacher.EvaluateAsync<double>("performance.timeOrigin")).ShouldBe(loaded, "the same page, not a reload");
            }

            // The notifications say what happened in the thread and lead back to it.
            await teacher.GotoAsync("/notifications");
            await teacher.Locator("#notifications", new() { HasText = "A new message in a thread about your client" }).WaitForAsync();
            await teacher.GetByRole(AriaRole.Link, new() { NameRegex = new System.Text.RegularExpressions.Regex("^Open the thread") }).First.ClickAsync();
            await teacher.GetByRole(AriaRole.Heading, new() { NameRegex = new System.Text.RegularExpressions.Regex("^Thread about") }).WaitForAsync();
            new Uri(teacher.Url).AbsolutePath.ShouldBe(thread);
        }

        // The teacher's receipt shows on the officer's next look at the thread.
        await officer.ReloadAsync();
        (await officer.Locator("#messages").InnerTextAsync()).ShouldContain($"Read by {DemoPartnership.Teacher.Name}");

        (await server.AuditCountAsync("thread.read", "web")).ShouldBeGreaterThanOrEqualTo(3);
        // The empty first attempt (refused) and the thread started: one entry each.
        (await server.AuditCountAsync("thread.start", "web")).ShouldBe(2);
    }
}
