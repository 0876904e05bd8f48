using System.Net;
using Patchwork.Testing;

namespace Patchwork.Server.Tests.SignIn;

/// <summary>A host on a clock the test moves (authenticator codes and waits follow it), with a 20-second first wait.</summary>
public sealed class SignInAttemptServer : SignInServer
{
    protected override bool UsesMovableClock => true;

    protected override void AddSettings(Dictionary<string, string> settings)
    {
        settings["SignIn:MaxFailedAttempts"] = "5";
        settings["SignIn:FailureDelay"] = "00:00:20";
        settings["SignIn:MaxFailureDelay"] = "00:05:00";
    }
}

public sealed class SignInAttemptTests(SignInAttemptServer server) : IClassFixture<SignInAttemptServer>
{
    private static readonly string[] WrongPassword = ["not the password at all"];

    [Fact]
    public async Task An_authenticator_code_signs_in_once_whether_it_was_first_used_to_enrol_or_to_sign_in()
    {
        var account = await server.GivenAccountAsync();
        using var first = server.NewBrowser();
        var key = (await first.SignInAsync(account.Email, account.Password)).GetProperty("sharedKey").GetString()!;
        var code = Totp.Code(key, server.Clock.GetUtcNow());
        (await first.PostFormAsync("/account/enrolment", new() { ["code"] = code })).StatusCode.ShouldBe(HttpStatusCode.OK);

        using var second = server.NewBrowser();
        (await second.SignInAsync(account.Email, account.Password)).GetProperty("next").GetString().ShouldBe("second-factor");
        (await second.PostFormAsync("/account/second-factor", new() { ["code"] = code }))
            .StatusCode.ShouldBe(HttpStatusCode.Unauthorized, "the code enrolment used, within its 30 seconds");
        (await second.PostFormAsync("/account/second-factor", new() { ["code"] = Totp.Code(key, server.Clock.GetUtcNow().AddSeconds(-30)) }))
            .StatusCode.ShouldBe(HttpStatusCode.Unauthorized, "an earlier step's code, though within the drift allowed");
        (await second.MeAsync()).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);

        server.Clock.Advance(TimeSpan.FromSeconds(30));
        var next = Totp.Code(key, server.Clock.GetUtcNow());
        (await second.PostFormAsync("/account/second-factor", new() { ["code"] = next })).StatusCode.ShouldBe(HttpStatusCode.OK);

        using var third = server.NewBrowser();
        (await third.SignInAsync(account.Email, account.Password)).GetProperty("next").GetString().ShouldBe("second-factor");
        (await third.PostFormAsync("/account/second-factor", new() { ["code"] = next }))
            .StatusCode.ShouldBe(HttpStatusCode.Unauthorized, "a second sign-in with the code the first used");
        var page = await third.PostFormAsync("/sign-in/code", new() { ["code"] = next });
        page.StatusCode.ShouldBe(HttpStatusCode.OK, "the page shows the error rather than signing in");
        (await page.Content.ReadAsStringAsync()).ShouldContain("has been used");
        (await third.MeAsync()).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Anonymous_failures_make_an_account_wait_longer_each_time_but_never_lock_it_and_its_holder_is_told()
    {
        var account = await server.GivenAccountAsync();
        var (_, key, _) = await server.EnrolledAsync(account);
        using var attacker = server.NewBrowser(from: IPAddress.Parse("198.51.100.7"));
        using var holder = server.NewBrowser(from: IPAddress.Parse("203.0.113.5"));
        for (var attempt = 0; attempt < 5; attempt++)
            (await Guess(attacker, account.Email)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);

        var held = await Guess(attacker, account.Email);
        held.StatusCode.ShouldBe(HttpStatusCode.TooManyRequests);
        held.Headers.RetryAfter.ShouldNotBeNull().Delta.ShouldNotBeNull().ShouldBeInRange(TimeSpan.FromSeconds(19), TimeSpan.FromSeconds(20));
        await Eventually.Within(TimeSpan.FromSeconds(10),
            () => Task.FromResult(server.MailTo(account.Email).Any(m => m.Contains("Subject: Failed attempts to sign in to your Patchwork account", StringComparison.Ordinal))),
            "the account's holder is told of the failures");
        var tooSoon = await holder.PostFormAsync("/sign-in", new() { ["email"] = account.Email, ["password"] = account.Password });
        tooSoon.StatusCode.ShouldBe(HttpStatusCode.TooManyRequests, "the wait is the account's, whoever asks and from wherever");
        tooSoon.Headers.RetryAfter.ShouldNotBeNull();
        (await tooSoon.Content.ReadAsStringAsync()).ShouldContain("Wait 20 seconds, then try again");

        // One guess per wait, and each wait longer than the last.
        server.Clock.Advance(TimeSpan.FromSeconds(21));
        (await Guess(attacker, account.Email)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        var longer = await Guess(attacker, account.Email);
        longer.StatusCode.ShouldBe(HttpStatusCode.TooManyRequests);
        longer.Headers.RetryAfter!.Delta.ShouldNotBeNull().ShouldBeInRange(TimeSpan.FromSeconds(39), TimeSpan.FromSeconds(40));

        // Once the wait is over the right password and code get in, through the pages as a practitioner would.
        server.Clock.Advance(TimeSpan.FromSeconds(41));
        var password = await holder.PostFormAsync("/sign-in", new() { ["email"] = account.Email, ["password"] = account.Password });
        password.StatusCode.ShouldBe(HttpStatusCode.Redirect);
        password.Headers.Location!.OriginalString.ShouldBe("/sign-in/code");
        var code = await holder.PostFormAsync("/sign-in/code", new() { ["code"] = await server.NextCodeAsync(key) });
        code.StatusCode.ShouldBe(HttpStatusCode.Redirect, await code.Content.ReadAsStringAsync());
        (await holder.MeAsync()).StatusCode.ShouldBe(HttpStatusCode.OK);

        (await Guess(attacker, account.Email)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized, "signing in ended the run of failures");
        server.MailTo(account.Email).Length.ShouldBe(1, "one notice for one run of failures");
    }

    [Fact]
    public async Task An_address_without_an_account_is_made_to_wait_exactly_like_one_with()
    {
        using var guesser = server.NewBrowser(from: IPAddress.Parse("198.51.100.8"));
        var nobody = $"nobody{Guid.NewGuid():N}@example.org";
        for (var attempt = 0; attempt < 5; attempt++)
            (await Guess(guesser, nobody)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);

        var held = await Guess(guesser, nobody);

        held.StatusCode.ShouldBe(HttpStatusCode.TooManyRequests, "otherwise a 429 would tell which addresses have accounts");
        held.Headers.RetryAfter.ShouldNotBeNull();
    }

    private static Task<HttpResponseMessage> Guess(Browser browser, string email) =>
        browser.PostFormAsync("/account/sign-in", new() { ["email"] = email, ["password"] = WrongPassword[0] });
}
