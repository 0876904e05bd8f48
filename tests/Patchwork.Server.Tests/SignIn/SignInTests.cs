using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using Patchwork.Core;
using Patchwork.Server.SignIn;
using Patchwork.Testing;

namespace Patchwork.Server.Tests.SignIn;

public sealed partial class SignInTests(SignInServer server) : IClassFixture<SignInServer>
{
    [Fact]
    public async Task A_password_alone_does_not_reach_the_api()
    {
        var account = await server.GivenAccountAsync();
        using var browser = server.NewBrowser();

        (await browser.SignInAsync(account.Email, account.Password)).GetProperty("next").GetString().ShouldBe("enrol");

        (await browser.MeAsync()).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await browser.PostFormAsync("/account/sign-out-everywhere", [])).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Enrolment_returns_a_key_and_ten_recovery_codes_and_later_sign_ins_need_the_current_code()
    {
        var account = await server.GivenAccountAsync(Roles.Practitioner | Roles.Manager);
        var first = server.NewBrowser();
        var step = await first.SignInAsync(account.Email, account.Password);
        var key = step.GetProperty("sharedKey").GetString()!;
        step.GetProperty("authenticatorUri").GetString().ShouldStartWith($"otpauth://totp/Patchwork:{Uri.EscapeDataString(account.Email)}?secret={key}");
        var enrolled = await first.PostFormAsync("/account/enrolment", new() { ["code"] = await server.NextCodeAsync(key) });
        enrolled.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await enrolled.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("recoveryCodes").GetArrayLength().ShouldBe(10);

        var me = await (await first.MeAsync()).Content.ReadFromJsonAsync<JsonElement>();
        me.GetProperty("practitionerId").GetGuid().ShouldBe(account.Practitioner.Value);
        me.GetProperty("organisationId").GetGuid().ShouldBe(account.Organisation.Value);
        me.GetProperty("roles").EnumerateArray().Select(r => r.GetString()).ShouldBe(["Practitioner", "Manager"], ignoreOrder: true);

        using var later = server.NewBrowser();
        (await later.SignInAsync(account.Email, account.Password)).GetProperty("next").GetString().ShouldBe("second-factor");
        (await later.MeAsync()).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await later.PostFormAsync("/account/second-factor", new() { ["code"] = Totp.Code(key, DateTimeOffset.UtcNow.AddMinutes(-10)) }))
            .StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await later.PostFormAsync("/account/second-factor", new() { ["code"] = await server.NextCodeAsync(key) })).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await later.MeAsync()).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task A_recovery_code_signs_in_once()
    {
        var account = await server.GivenAccountAsync();
        var (_, _, codes) = await server.EnrolledAsync(account);

        using var once = server.NewBrowser();
        await once.SignInAsync(account.Email, account.Password);
        var used = await once.PostFormAsync("/account/recovery-code", new() { ["code"] = codes[0] });
        used.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await used.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("recoveryCodesLeft").GetInt32().ShouldBe(9);
        (await once.MeAsync()).StatusCode.ShouldBe(HttpStatusCode.OK);

        using var twice = server.NewBrowser();
        await twice.SignInAsync(account.Email, account.Password);
        (await twice.PostFormAsync("/account/recovery-code", new() { ["code"] = codes[0] })).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await twice.MeAsync()).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task A_state_changing_request_without_an_antiforgery_token_is_400()
    {
        var admin = await server.GivenAccountAsync(Roles.Practitioner | Roles.OrganisationAdmin);
        using var browser = server.NewBrowser();

        (await browser.PostFormAsync("/account/sign-in", new() { ["email"] = admin.Email, ["password"] = admin.Password }, withAntiforgery: false))
            .StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await browser.PostFormAsync("/account/sign-out", [], withAntiforgery: false)).StatusCode.ShouldBe(HttpStatusCode.BadRequest);

        var (signedIn, _, _) = await server.EnrolledAsync(admin);
        (await signedIn.PostJsonAsync($"/api/v1/organisations/{admin.Organisation.Value}/invitations",
            new { name = "Sam Okafor", email = $"s{Guid.NewGuid():N}@example.org" }, withAntiforgery: false)).StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await signedIn.PostFormAsync("/account/sign-out-everywhere", [], withAntiforgery: false)).StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await signedIn.MeAsync()).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task The_session_cookie_is_HttpOnly_SameSite_Strict_and_under_https_Secure_with_the_Host_prefix()
    {
        var account = await server.GivenAccountAsync();
        var (overHttps, _, _) = await server.EnrolledAsync(account, https: true);
        (await overHttps.MeAsync()).StatusCode.ShouldBe(HttpStatusCode.OK);

        var secure = await CookieHeaderAfterSecondFactorAsync(account, https: true);
        secure.ShouldStartWith("__Host-patchwork-session=");
        secure.ShouldContain("; secure", Case.Insensitive);
        secure.ShouldContain("; httponly", Case.Insensitive);
        secure.ShouldContain("; samesite=strict", Case.Insensitive);
        secure.ShouldContain("; path=/", Case.Insensitive);
        secure.ShouldNotContain("domain=", Case.Insensitive);

        var plain = await CookieHeaderAfterSecondFactorAsync(account, https: false);
        plain.ShouldStartWith("patchwork-session=");
        plain.ShouldNotContain("; secure", Case.Insensitive);
        plain.ShouldContain("; httponly", Case.Insensitive);
        plain.ShouldContain("; samesite=strict", Case.Insensitive);
    }

    private async Task<string> CookieHeaderAfterSecondFactorAsync(SignInServer.Account account, bool https)
    {
        using var browser = server.NewBrowser(https);
        await browser.SignInAsync(account.Email, account.Password);
        using var scope = server.Services.CreateScope();
        var user = (await scope.ServiceProvider.GetRequiredService<UserManager<ApplicationUser>>().FindByEmailAsync(account.Email))!;
        var key = (await scope.ServiceProvider.GetRequiredService<UserManager<ApplicationUser>>().GetAuthenticatorKeyAsync(user))!;
        var response = await browser.PostFormAsync("/account/second-factor", new() { ["code"] = await server.NextCodeAsync(key) });
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        return response.Headers.GetValues("Set-Cookie").Single(c => c.Contains("patchwork-session=", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Sign_out_ends_the_session_and_sign_out_everywhere_ends_every_other_session()
    {
        var account = await server.GivenAccountAsync();
        var (laptop, key, _) = await server.EnrolledAsync(account);
        using var phone = await server.SignedInAsync(account, key);
        using var tablet = await server.SignedInAsync(account, key);
        (await phone.MeAsync()).StatusCode.ShouldBe(HttpStatusCode.OK);

        (await laptop.PostFormAsync("/account/sign-out-everywhere", [])).StatusCode.ShouldBe(HttpStatusCode.NoContent);

        (await phone.MeAsync()).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await tablet.MeAsync()).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await laptop.MeAsync()).StatusCode.ShouldBe(HttpStatusCode.OK);

        (await laptop.PostFormAsync("/account/sign-out", [])).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        (await laptop.MeAsync()).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Signing_out_ends_the_session_on_the_server_so_a_kept_copy_of_its_cookie_reaches_neither_api_nor_pages_nor_hub()
    {
        var account = await server.GivenAccountAsync();
        var (laptop, key, _) = await server.EnrolledAsync(account);
        using var phone = server.NewBrowser();
        await phone.SignInAsync(account.Email, account.Password);
        var signedIn = await phone.PostFormAsync("/account/second-factor", new() { ["code"] = await server.NextCodeAsync(key) });
        signedIn.StatusCode.ShouldBe(HttpStatusCode.OK);
        var cookie = signedIn.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("patchwork-session=", StringComparison.Ordinal)).Split(';')[0];
        using var copy = server.NewClientWithCookie(cookie);
        (await copy.GetAsync("/api/v1/me")).StatusCode.ShouldBe(HttpStatusCode.OK, "the copy works while the session lasts");
        (await copy.GetAsync("/")).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await copy.PostAsync("/hubs/feed/negotiate?negotiateVersion=1", null)).StatusCode.ShouldBe(HttpStatusCode.OK);

        (await phone.PostFormAsync("/account/sign-out", [])).StatusCode.ShouldBe(HttpStatusCode.NoContent);

        var me = await copy.GetAsync("/api/v1/me");
        me.StatusCode.ShouldBe(HttpStatusCode.Unauthorized, "a cookie kept from before signing out must not still work (or slide on)");
        me.Content.Headers.ContentType?.MediaType.ShouldBe("application/problem+json");
        var page = await copy.GetAsync("/");
        page.StatusCode.ShouldBe(HttpStatusCode.Redirect);
        page.Headers.Location!.AbsolutePath.ShouldBe("/sign-in");
        (await copy.PostAsync("/hubs/feed/negotiate?negotiateVersion=1", null)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await phone.MeAsync()).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await laptop.MeAsync()).StatusCode.ShouldBe(HttpStatusCode.OK, "signing out on one device leaves the account's other sessions alone");
    }

    [Fact]
    public async Task Without_a_session_the_api_and_the_hub_answer_401_with_a_problem_and_pages_redirect_to_sign_in()
    {
        using var anonymous = server.NewBrowser();

        foreach (var response in new[]
                 {
                     await anonymous.MeAsync(),
                     await anonymous.Http.PostAsync("/hubs/feed/negotiate?negotiateVersion=1", null),
                     await anonymous.Http.GetAsync("/hubs/feed"),
                 })
        {
            response.StatusCode.ShouldBe(HttpStatusCode.Unauthorized, response.RequestMessage!.RequestUri!.ToString());
            response.Content.Headers.ContentType?.MediaType.ShouldBe("application/problem+json");
            var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
            problem.GetProperty("status").GetInt32().ShouldBe(401);
            problem.GetProperty("title").GetString().ShouldNotBeNullOrEmpty();
        }

        using var navigation = new HttpRequestMessage(HttpMethod.Get, "/");
        navigation.Headers.Accept.ParseAdd("text/html");
        var page = await anonymous.Http.SendAsync(navigation);
        page.StatusCode.ShouldBe(HttpStatusCode.Redirect);
        page.Headers.Location!.AbsolutePath.ShouldBe("/sign-in");
    }

    [Fact]
    public async Task Disabling_an_account_ends_its_session_at_its_next_request_and_only_its_own_organisations_admin_may()
    {
        var admin = await server.GivenAccountAsync(Roles.Practitioner | Roles.OrganisationAdmin);
        var colleague = await server.GivenAccountAsync(Roles.Practitioner, admin.Organisation);
        var otherAdmin = await server.GivenAccountAsync(Roles.Practitioner | Roles.OrganisationAdmin);
        var (adminBrowser, _, _) = await server.EnrolledAsync(admin);
        var (otherAdminBrowser, _, _) = await server.EnrolledAsync(otherAdmin);
        var (colleagueBrowser, colleagueKey, _) = await server.EnrolledAsync(colleague);
        (await colleagueBrowser.MeAsync()).StatusCode.ShouldBe(HttpStatusCode.OK);

        (await otherAdminBrowser.PostJsonAsync($"/api/v1/practitioners/{colleague.Practitioner.Value}/disable", null)).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await colleagueBrowser.PostJsonAsync($"/api/v1/practitioners/{admin.Practitioner.Value}/disable", null)).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await colleagueBrowser.MeAsync()).StatusCode.ShouldBe(HttpStatusCode.OK);

        (await adminBrowser.PostJsonAsync($"/api/v1/practitioners/{colleague.Practitioner.Value}/disable", null)).StatusCode.ShouldBe(HttpStatusCode.NoContent);

        (await colleagueBrowser.MeAsync()).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        using var again = server.NewBrowser();
        (await again.PostFormAsync("/account/sign-in", new() { ["email"] = colleague.Email, ["password"] = colleague.Password }))
            .StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        colleagueKey.ShouldNotBeEmpty();
    }

    [Fact]
    public async Task An_invitation_link_creates_the_account_once_with_the_invited_roles()
    {
        // An admin grants only roles they hold (rule 13): this one is a manager too, so may make a manager.
        var admin = await server.GivenAccountAsync(Roles.Practitioner | Roles.OrganisationAdmin | Roles.Manager);
        var (adminBrowser, _, _) = await server.EnrolledAsync(admin);
        var email = $"new{Guid.NewGuid():N}@example.org";

        var invited = await adminBrowser.PostJsonAsync($"/api/v1/organisations/{admin.Organisation.Value}/invitations",
            new { name = "Priya Shah", email, roles = new[] { "Manager" } });

        invited.StatusCode.ShouldBe(HttpStatusCode.Created, await invited.Content.ReadAsStringAsync());
        var practitioner = (await invited.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("practitionerId").GetGuid();
        (await invited.Content.ReadAsStringAsync()).ShouldNotContain("account/invitations/");
        var mail = server.MailTo(email).ShouldHaveSingleItem();
        mail.ShouldContain("Subject: Your Patchwork account");
        var token = InvitationLink().Match(mail).Groups[1].Value;
        token.Length.ShouldBeGreaterThan(40);

        using var invitee = server.NewBrowser();
        var tooShort = await invitee.PostFormAsync($"/account/invitations/{token}", new() { ["password"] = "short pass" });
        tooShort.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await invitee.PostFormAsync($"/account/invitations/{token}", new() { ["password"] = SignInServer.StrongPassword })).StatusCode.ShouldBe(HttpStatusCode.Created);
        (await invitee.PostFormAsync($"/account/invitations/{token}", new() { ["password"] = SignInServer.StrongPassword + "!" })).StatusCode.ShouldBe(HttpStatusCode.NotFound);

        var (newcomer, _, _) = await server.EnrolledAsync(new SignInServer.Account(email, SignInServer.StrongPassword,
            new PractitionerId(practitioner), admin.Organisation, Roles.Practitioner | Roles.Manager));
        var me = await (await newcomer.MeAsync()).Content.ReadFromJsonAsync<JsonElement>();
        me.GetProperty("practitionerId").GetGuid().ShouldBe(practitioner);
        me.GetProperty("organisationId").GetGuid().ShouldBe(admin.Organisation.Value);
        me.GetProperty("roles").EnumerateArray().Select(r => r.GetString()).ShouldBe(["Practitioner", "Manager"], ignoreOrder: true);
    }

    [Fact]
    public async Task Only_an_organisation_admin_of_that_organisation_invites_and_no_one_grants_partnership_admin_without_holding_it()
    {
        var admin = await server.GivenAccountAsync(Roles.Practitioner | Roles.OrganisationAdmin);
        var practitioner = await server.GivenAccountAsync(Roles.Practitioner, admin.Organisation);
        var (adminBrowser, _, _) = await server.EnrolledAsync(admin);
        var (practitionerBrowser, _, _) = await server.EnrolledAsync(practitioner);
        var invitation = new { name = "Ola Nowak", email = $"o{Guid.NewGuid():N}@example.org" };

        (await practitionerBrowser.PostJsonAsync($"/api/v1/organisations/{admin.Organisation.Value}/invitations", invitation))
            .StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await adminBrowser.PostJsonAsync($"/api/v1/organisations/{Guid.CreateVersion7()}/invitations", invitation))
            .StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await adminBrowser.PostJsonAsync($"/api/v1/organisations/{admin.Organisation.Value}/invitations",
            new { invitation.name, invitation.email, roles = new[] { "PartnershipAdmin" } })).StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        using var anonymous = server.NewBrowser();
        (await anonymous.PostJsonAsync($"/api/v1/organisations/{admin.Organisation.Value}/invitations", invitation))
            .StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        server.MailTo(invitation.email).ShouldBeEmpty();
        (await adminBrowser.PostJsonAsync($"/api/v1/organisations/{admin.Organisation.Value}/invitations", invitation)).StatusCode.ShouldBe(HttpStatusCode.Created);

        // Each attempt by someone signed in is one audit entry naming why it was allowed or refused; the anonymous one is none.
        await using var connection = new Npgsql.NpgsqlConnection(Patchwork.Testing.LocalServers.PostgresOwner);
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand(
            $"SELECT outcome || ' ' || rule FROM \"{server.SchemaName}\".audit_entries WHERE action = 'practitioner.invite' AND organisation_id = ANY(@organisations) ORDER BY at",
            connection);
        command.Parameters.AddWithValue("organisations", new[] { admin.Organisation.Value });
        var entries = new List<string>();
        await using (var rows = await command.ExecuteReaderAsync())
            while (await rows.ReadAsync()) entries.Add(rows.GetString(0));
        entries.Count.ShouldBe(4, string.Join("; ", entries));
        entries[0].ShouldBe("denied NotOrganisationAdmin");
        entries[1].ShouldBe("denied OtherOrganisation");
        entries[2].ShouldBe("denied Invalid:roles");
        entries[3].ShouldStartWith("allowed OrganisationAdmin:");
    }

    [GeneratedRegex(@"/account/invitations/([A-Za-z0-9_\-]+)")]
    private static partial Regex InvitationLink();
}
