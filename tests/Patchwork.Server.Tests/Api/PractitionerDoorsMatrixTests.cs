using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Patchwork.Core;
using Patchwork.Server.Demo;
using Patchwork.Server.SignIn;
using Patchwork.Server.Tokens;
using static Patchwork.Server.Tests.Api.AuthorizationMatrixTests;

namespace Patchwork.Server.Tests.Api;

/// <summary>
/// The doors that are not about one client — who am I, the partner probe, disabling an account, an organisation's partner
/// systems, signing out everywhere, the live feed's hub — × the same callers as <see cref="AuthorizationMatrixTests"/>,
/// through the real sign-in, against a literal table: practitioner-only doors know no bearer token (401 for a partner
/// system, as for anyone without a session) and the partner probe no session cookie; an organisation's accounts and
/// partner systems are its own organisation admins' (DESIGN §3 rule 13; the plain organisation admin and the partnership
/// admin both administer Social Care). A refused act changes nothing, and an audited door leaves exactly one entry for
/// every caller it recognises (none for a 401).
/// </summary>
public sealed class PractitionerDoorsMatrixTests(SignedInApiServer server) : IClassFixture<SignedInApiServer>
{
    // 401: no credential this door knows (practitioners' doors take only the session cookie, the partner probe only a
    // partner's token); 403: signed in, but not an organisation admin of Social Care; 400: the hub admitted the caller
    // and asks for the connection id the cell leaves out.
    //                                      Anon  SW   TM   PO   SHN  Sgt  Ref  DPO  Adm  PtS  PtO  POA  UDPO NC
    private const string Table = """
        GET    me                            401  200  200  200  200  200  200  200  200  401  401  200  200  200
        GET    partner-whoami                401  401  401  401  401  401  401  401  401  200  200  401  401  401
        POST   disable-practitioner          401  403  403  403  403  403  403  403  204  401  401  204  403  403
        GET    list-partner-systems          401  403  403  403  403  403  403  403  200  401  401  200  403  403
        POST   register-partner-system       401  403  403  403  403  403  403  403  201  401  401  201  403  403
        POST   revoke-partner-system         401  403  403  403  403  403  403  403  204  401  401  204  403  403
        POST   sign-out-everywhere           401  204  204  204  204  204  204  204  204  401  401  204  204  204
        POST   negotiate-feed                401  200  200  200  200  200  200  200  200  401  401  200  200  200
        GET    connect-feed                  401  400  400  400  400  400  400  400  400  401  401  400  400  400
        """;

    /// <summary>The route each row reaches (checked on every cell's response; read by the route coverage test).</summary>
    internal static readonly Dictionary<string, string> Routes = new()
    {
        ["me"] = "GET /api/v1/me",
        ["partner-whoami"] = "GET /api/v1/partner/whoami",
        ["disable-practitioner"] = "POST /api/v1/practitioners/{practitioner:guid}/disable",
        ["list-partner-systems"] = "GET /api/v1/organisations/{organisation:guid}/partner-systems",
        ["register-partner-system"] = "POST /api/v1/organisations/{organisation:guid}/partner-systems",
        ["revoke-partner-system"] = "POST /api/v1/organisations/{organisation:guid}/partner-systems/{partnerSystem:guid}/revoke",
        ["sign-out-everywhere"] = "POST /account/sign-out-everywhere",
        ["negotiate-feed"] = "ANY /hubs/feed/negotiate",
        ["connect-feed"] = "ANY /hubs/feed",
    };

    /// <summary>The rows whose door writes an audit entry for every caller it recognises.</summary>
    private static readonly HashSet<string> Audited = ["disable-practitioner", "list-partner-systems", "register-partner-system", "revoke-partner-system"];

    private static readonly string PartnerSystems = $"/api/v1/organisations/{DemoPartnership.SocialCare.Id.Value}/partner-systems";

    public static TheoryData<string> Endpoints() => [.. MatrixTable.Rows(Table).Keys];

    [Theory]
    [MemberData(nameof(Endpoints))]
    public async Task Every_caller_gets_exactly_the_answer_the_table_gives(string endpoint)
    {
        var expected = MatrixTable.Rows(Table)[endpoint];
        var wrong = new List<string>();
        // Everyone signs in before the first cell, so no sign-in falls inside a cell's audit count.
        foreach (var caller in Enum.GetValues<Caller>()) await ClientForAsync(server, caller);
        foreach (var caller in Enum.GetValues<Caller>())
        {
            var target = await TargetAsync(endpoint);
            var http = endpoint == "sign-out-everywhere" && AccountOf(caller) is { } account
                // Its act ends the account's other sessions: a session of its own, so the kept ones live on.
                ? await server.Sessions.FreshAsync(account.Organisation, account.Roles)
                : await ClientForAsync(server, caller);
            var systems = await PartnerSystemsAsync();
            var audited = await server.AuditCountAsync();
            using var response = endpoint switch
            {
                "me" => await http.GetAsync("/api/v1/me"),
                "partner-whoami" => await http.GetAsync("/api/v1/partner/whoami"),
                "disable-practitioner" => await http.PostAsync($"/api/v1/practitioners/{target}/disable", null),
                "list-partner-systems" => await http.GetAsync(PartnerSystems),
                "register-partner-system" => await http.PostAsJsonAsync(PartnerSystems, new { displayName = "Case system of " + caller, scopes = new[] { PartnerScopes.Read }, clientSecret = true }),
                "revoke-partner-system" => await http.PostAsync($"{PartnerSystems}/{target}/revoke", null),
                "sign-out-everywhere" => await http.PostAsync("/account/sign-out-everywhere", null),
                "negotiate-feed" => await http.PostAsync("/hubs/feed/negotiate?negotiateVersion=1", null),
                "connect-feed" => await http.GetAsync("/hubs/feed"),
                _ => throw new ArgumentOutOfRangeException(nameof(endpoint), endpoint, "not in the table"),
            };
            var status = (int)response.StatusCode;
            var body = await response.Content.ReadAsStringAsync();
            wrong.AddRange(MatrixTable.RouteDifferences(caller.ToString(), Routes[endpoint], response));
            if (status != expected[(int)caller]) wrong.Add($"{caller}: expected {expected[(int)caller]}, got {status} {body}");

            var entries = await server.AuditCountAsync() - audited;
            var auditedHere = Audited.Contains(endpoint) && status != 401 ? 1 : 0;
            if (entries != auditedHere) wrong.Add($"{caller}: {entries} audit entries for {status}, expected {auditedHere}");
            else if (entries == 1) wrong.AddRange(MatrixTable.AuditDifferences(caller.ToString(), status, await MatrixTable.NewestAuditAsync(server.Schema)));

            // A refused act changes nothing: the account stays enabled, no partner system appears or is revoked.
            if (status >= 400 && endpoint != "connect-feed")
            {
                if (endpoint == "disable-practitioner" && await IsDisabledAsync(new PractitionerId(target)))
                    wrong.Add($"{caller}: refused with {status}, yet the account was disabled");
                if (await PartnerSystemsAsync() != systems) wrong.Add($"{caller}: refused with {status}, yet Social Care's partner systems changed");
            }
        }
        wrong.ShouldBeEmpty(string.Join(Environment.NewLine, wrong));
    }

    /// <summary>The matrices' positive control: their practitioners really are sessions of the real sign-in, not the test seam.</summary>
    [Fact]
    public async Task Matrix_callers_come_in_by_session_cookie_and_a_change_without_its_antiforgery_token_is_refused()
    {
        var worker = await server.AsAsync(DemoPartnership.SocialWorker);
        var me = await worker.GetFromJsonAsync<JsonElement>("/api/v1/me");
        me.GetProperty("practitionerId").GetGuid().ShouldBe(DemoPartnership.SocialWorker.Id.Value);
        me.GetProperty("organisationId").GetGuid().ShouldBe(DemoPartnership.SocialCare.Id.Value);

        var before = await server.AuditCountAsync();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/clients")
        {
            Content = JsonContent.Create(new { givenNames = "Forged", familyName = "Request", dateOfBirth = "2012-01-01", candidatesSeen = true }),
        };
        request.Options.Set(SignedInPractitioners.WithoutAntiforgery, true);
        using var forged = await worker.SendAsync(request);
        forged.StatusCode.ShouldBe(System.Net.HttpStatusCode.BadRequest, await forged.Content.ReadAsStringAsync());
        (await server.AuditCountAsync()).ShouldBe(before, "nothing was registered, so nothing was audited");

        // The test seam's header opens nothing here.
        using var seam = server.Anonymous();
        seam.DefaultRequestHeaders.Add(TestPractitionerScheme.Header, $"{DemoPartnership.SocialWorker.Id.Value}|{DemoPartnership.SocialCare.Id.Value}|{Roles.Practitioner}");
        (await seam.GetAsync("/api/v1/me")).StatusCode.ShouldBe(System.Net.HttpStatusCode.Unauthorized);
    }

    /// <summary>What a cell acts on, made fresh for it: a Social Care account to disable, or a partner system to revoke.</summary>
    private async Task<Guid> TargetAsync(string endpoint)
    {
        switch (endpoint)
        {
            case "disable-practitioner":
                var practitioner = new PractitionerId(Guid.CreateVersion7());
                await server.Sessions.GivenAccountAsync(practitioner, DemoPartnership.SocialCare.Id, Roles.Practitioner);
                return practitioner.Value;
            case "revoke-partner-system":
                using (var registered = await (await server.AsAsync(DemoPartnership.PartnershipAdmin)).PostAsJsonAsync(PartnerSystems,
                           new { displayName = "To be revoked", scopes = new[] { PartnerScopes.Read }, clientSecret = true }))
                {
                    var body = await registered.Content.ReadAsStringAsync();
                    registered.StatusCode.ShouldBe(System.Net.HttpStatusCode.Created, body);
                    return JsonDocument.Parse(body).RootElement.GetProperty("partnerSystem").GetProperty("partnerSystemId").GetGuid();
                }
            default:
                return Guid.Empty;
        }
    }

    private async Task<bool> IsDisabledAsync(PractitionerId practitioner)
    {
        await using var scope = server.Services.CreateAsyncScope();
        var account = await scope.ServiceProvider.GetRequiredService<PractitionerAccounts>().FindAsync(practitioner, CancellationToken.None);
        return account!.Disabled;
    }

    /// <summary>Social Care's partner systems and which are revoked, as its admin lists them (read outside any cell's audit count).</summary>
    private async Task<string> PartnerSystemsAsync()
    {
        var listed = await (await server.AsAsync(DemoPartnership.PartnershipAdmin)).GetFromJsonAsync<JsonElement>(PartnerSystems + "?limit=200");
        return string.Join(",", listed.EnumerateArray().Select(s => $"{s.GetProperty("partnerSystemId").GetGuid()}:{s.GetProperty("disabled").GetBoolean()}").Order(StringComparer.Ordinal));
    }
}
