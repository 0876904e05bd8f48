using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Patchwork.Core;
using Patchwork.Server.Demo;
using Patchwork.Server.SignIn;
using Patchwork.Server.Tests.SignIn;
using Patchwork.Server.Tokens;
using Patchwork.Testing;

namespace Patchwork.Server.Tests.Api;

/// <summary>The sign-in host with the demo county seeded, its staff able to sign in with real cookies, as pages and scripts use it.</summary>
public sealed class DemoSignInServer : SignInServer
{
    protected override void AddSettings(Dictionary<string, string> settings)
    {
        settings["Demo:Seed"] = "true";
        settings["PersonalData:BlindIndexKey"] = LocalServers.Get("PersonalData__BlindIndexKey");
        settings["PersonalData:KeyRingCertificatePath"] = LocalServers.Get("PersonalData__KeyRingCertificatePath");
        settings["PersonalData:KeyRingCertificatePassword"] = LocalServers.Get("PersonalData__KeyRingCertificatePassword");
        settings["Policy:MaskingKey"] = LocalServers.Get("Policy__MaskingKey");
        settings["Api:SearchesPerMinute"] = "100000";
        settings["Tokens:TokenRequestsPerWindow"] = "100000";
    }

    private readonly Dictionary<PractitionerId, Browser> _signedIn = [];

    /// <summary>A demo practitioner's account (made once), signed in past the second factor.</summary>
    public async Task<Browser> SignedInAsAsync(DemoPartnership.Staff staff)
    {
        if (_signedIn.TryGetValue(staff.Id, out var existing)) return existing;
        var account = new Account($"{Guid.NewGuid():N}@example.org", StrongPassword, staff.Id, staff.Agency.Id, staff.Roles);
        await using (var scope = Services.CreateAsyncScope())
        {
            var created = await scope.ServiceProvider.GetRequiredService<PractitionerAccounts>().CreateAsync(new NewPractitionerAccount(
                account.Practitioner, account.Organisation, staff.Name, account.Email, account.Roles, account.Password), default);
            created.Succeeded.ShouldBeTrue(string.Join("; ", created.Errors.Select(e => e.Description)));
        }
        return _signedIn[staff.Id] = (await EnrolledAsync(account)).Browser;
    }

    /// <summary>A client holding a real access token of a partner system of <paramref name="organisation"/>.</summary>
    public Task<HttpClient> PartnerOfAsync(OrganisationId organisation, params string[] scopes) =>
        PartnerTokens.AuthoriseAsync(Services, NewBrowser().Http, organisation, scopes);
}

/// <summary>
/// Issue 19: no response holding personal or client data may be kept by a browser or a shared cache. The host applies
/// <c>Cache-Control: private, no-store</c> to every API answer and every page unless the endpoint says otherwise, so the
/// sweep goes over every GET the OpenAPI document lists and every page, as the callers who are shown the data.
/// </summary>
public sealed class PrivateResponsesTests(DemoSignInServer server) : IClassFixture<DemoSignInServer>
{
    private static readonly string Ellie = DemoPartnership.Ellie.Value.ToString();

    [Fact]
    public async Task Every_GET_in_the_OpenAPI_document_answers_private_no_store_to_the_callers_it_shows_data_to()
    {
        var worker = await server.SignedInAsAsync(DemoPartnership.PoliceOfficer);
        var dpo = await server.SignedInAsAsync(DemoPartnership.SocialCareDpo);
        var admin = await server.SignedInAsAsync(DemoPartnership.PartnershipAdmin);
        var partner = await server.PartnerOfAsync(DemoPartnership.SocialCare.Id, PartnerScopes.Read);
        var thread = await GivenThreadAsync(worker);
        var callers = new[] { ("police officer", worker.Http), ("DPO", dpo.Http), ("admin", admin.Http), ("partner system", partner) };

        var document = await server.NewBrowser().Http.GetFromJsonAsync<JsonElement>("/openapi/v1.json");
        var gets = document.GetProperty("paths").EnumerateObject().Where(path => path.Value.TryGetProperty("get", out _)).ToList();
        gets.Count.ShouldBeGreaterThanOrEqualTo(9, "search, team, audit, export, notices, threads, thread, agreements, partner systems and more");

        var wrong = new List<string>();
        foreach (var path in gets)
        {
            var target = Fill(path.Name, path.Value.GetProperty("get"), thread);
            var answeredWithData = false;
            foreach (var (who, http) in callers)
            {
                using var response = await http.GetAsync(target);
                answeredWithData |= response.StatusCode == HttpStatusCode.OK;
                // private, no-store by the host's rule; an endpoint that says no-store itself (the antiforgery token) is as safe.
                var cache = response.Headers.CacheControl;
                if (cache is not { NoStore: true } || (path.Name.StartsWith("/api/v1/", StringComparison.Ordinal) && !cache.Private))
                    wrong.Add($"{target} as the {who}: {(int)response.StatusCode} with Cache-Control '{cache}'");
            }
            if (!answeredWithData) wrong.Add($"{target}: no caller got its data, so the sweep proves nothing for it");
        }
        wrong.ShouldBeEmpty(string.Join(Environment.NewLine, wrong));
    }

    [Fact]
    public async Task Every_page_answers_private_no_store_and_static_assets_and_signing_keys_stay_cacheable()
    {
        var worker = await server.SignedInAsAsync(DemoPartnership.PoliceOfficer);
        var admin = await server.SignedInAsAsync(DemoPartnership.PartnershipAdmin);
        var thread = await GivenThreadAsync(worker);
        var pages = server.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.Metadata.GetMetadata<PageActionDescriptor>() is not null)
            .Select(e => "/" + e.RoutePattern.RawText!.TrimStart('/'))
            .Distinct().ToList();
        pages.ShouldContain("/clients/{client:guid}");

        var wrong = new List<string>();
        var shown = new List<string>();
        foreach (var page in pages)
        {
            var target = page.Replace("{client:guid}", Ellie, StringComparison.Ordinal).Replace("{thread:guid}", thread.ToString(), StringComparison.Ordinal);
            // Other ids (an involvement, a consent, an agreement…): an unknown one still answers a page, which must not be kept either.
            while (target.IndexOf('{', StringComparison.Ordinal) is var open and >= 0)
                target = target[..open] + Guid.NewGuid() + target[(target.IndexOf('}', open) + 1)..];
            foreach (var browser in new[] { worker, admin })
            {
                using var response = await browser.Http.GetAsync(target);
                if (response.StatusCode == HttpStatusCode.OK) shown.Add(page);
                // A page with a form also gets antiforgery's "no-cache, no-store"; either way nothing keeps it.
                if (response.Headers.CacheControl is not { NoStore: true })
                    wrong.Add($"{target}: {(int)response.StatusCode} with Cache-Control '{response.Headers.CacheControl}'");
            }
        }
        wrong.ShouldBeEmpty(string.Join(Environment.NewLine, wrong));
        shown.ShouldContain("/", "the officer's own clients");
        shown.ShouldContain("/clients/{client:guid}");
        shown.ShouldContain("/clients/{client:guid}/threads/{thread:guid}");
        shown.ShouldContain("/notifications");
        shown.ShouldContain("/admin/partner-systems");

        var anonymous = server.NewBrowser().Http;
        (await anonymous.GetAsync("/sign-in")).Headers.CacheControl.ShouldNotBeNull().NoStore.ShouldBeTrue();
        var jwks = await anonymous.GetAsync(TokenPaths.Jwks);
        jwks.Headers.CacheControl.ShouldNotBeNull().Public.ShouldBeTrue("the signing keys opt into caching and keep it");
        var live = await anonymous.GetAsync("/health/live");
        live.Headers.CacheControl?.Private.ShouldNotBe(true, "health is left to its own rule");
        var asset = await anonymous.GetAsync("/favicon.svg");
        asset.StatusCode.ShouldBe(HttpStatusCode.OK);
        asset.Headers.CacheControl?.NoStore.ShouldNotBe(true, "a static asset holds nothing personal and may be cached");
    }

    private static string Fill(string path, JsonElement operation, Guid thread)
    {
        var target = path.Replace("{clientId}", Ellie, StringComparison.Ordinal)
            .Replace("{threadId}", thread.ToString(), StringComparison.Ordinal)
            .Replace("{organisation}", DemoPartnership.SocialCare.Id.Value.ToString(), StringComparison.Ordinal);
        target.ShouldNotContain("{", customMessage: $"{path}: give this path parameter a real id of the demo data");
        var query = new List<string>();
        if (operation.TryGetProperty("parameters", out var parameters))
        {
            var names = parameters.EnumerateArray().Where(p => p.GetProperty("in").GetString() == "query").Select(p => p.GetProperty("name").GetString()!).ToHashSet();
            // A search needs one route and a purpose; anything else reads fine with no query at all.
            if (names.Contains("familyName")) query.AddRange(["familyName=Marsh-Whitfield", "dateOfBirth=2011-04-17"]);
            if (names.Contains("purpose")) query.Add("purpose=cache%20check");
        }
        return query.Count == 0 ? target : target + "?" + string.Join('&', query);
    }

    private static async Task<Guid> GivenThreadAsync(Browser worker)
    {
        var started = await worker.PostJsonAsync($"/api/v1/clients/{Ellie}/threads", new
        {
            participants = new[] { DemoPartnership.Teacher.Id.Value }, message = "Can we talk about the strategy meeting?",
        });
        var body = await started.Content.ReadAsStringAsync();
        started.StatusCode.ShouldBe(HttpStatusCode.Created, body);
        return JsonDocument.Parse(body).RootElement.GetProperty("threadId").GetGuid();
    }
}
