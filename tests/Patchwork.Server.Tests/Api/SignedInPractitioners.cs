using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.Mvc.Testing.Handlers;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Patchwork.Core;
using Patchwork.Server.SignIn;
using Patchwork.Testing;

namespace Patchwork.Server.Tests.Api;

/// <summary>
/// The API host whose practitioners come in through the real door: an account each, a password, the authenticator's
/// second factor, the session cookie, and the antiforgery header on every change. The authorization matrices run here.
/// </summary>
public sealed class SignedInApiServer : ApiServer
{
    protected override bool SignsPractitionersIn => true;
}

/// <summary>
/// One signed-in session per practitioner for the host's lifetime. An authenticator code works once per time step, so
/// each caller signs in once (a fresh account enrols with the step's code) and every cell reuses that session.
/// </summary>
public sealed class SignedInPractitioners(WebApplicationFactory<Program> host)
{
    public const string Password = "correct horse battery staple";

    /// <summary>Set on a request to send a change without the antiforgery token, as another site's form would.</summary>
    public static readonly HttpRequestOptionsKey<bool> WithoutAntiforgery = new("patchwork-test-without-antiforgery");

    private readonly SemaphoreSlim _signingIn = new(1, 1);
    private readonly Dictionary<PractitionerId, (OrganisationId Organisation, Roles Roles, HttpClient Http)> _sessions = [];

    public async Task<HttpClient> AsAsync(PractitionerId practitioner, OrganisationId organisation, Roles roles)
    {
        await _signingIn.WaitAsync();
        try
        {
            if (_sessions.TryGetValue(practitioner, out var session))
            {
                (session.Organisation, session.Roles).ShouldBe((organisation, roles), $"practitioner {practitioner.Value} signed in before as someone else");
                return session.Http;
            }
            var http = await SignInAsync(practitioner, organisation, roles);
            _sessions[practitioner] = (organisation, roles, http);
            return http;
        }
        finally
        {
            _signingIn.Release();
        }
    }

    /// <summary>A session of its own for a new practitioner, kept by no one: for a cell whose act ends sessions.</summary>
    public async Task<HttpClient> FreshAsync(OrganisationId organisation, Roles roles)
    {
        await _signingIn.WaitAsync();
        try
        {
            return await SignInAsync(new PractitionerId(Guid.CreateVersion7()), organisation, roles);
        }
        finally
        {
            _signingIn.Release();
        }
    }

    /// <summary>An account nobody has signed in to, as an organisation admin's act finds it.</summary>
    public async Task<string> GivenAccountAsync(PractitionerId practitioner, OrganisationId organisation, Roles roles)
    {
        var email = $"matrix.{practitioner.Value:N}@example.org";
        await using var scope = host.Services.CreateAsyncScope();
        var created = await scope.ServiceProvider.GetRequiredService<PractitionerAccounts>().CreateAsync(
            new NewPractitionerAccount(practitioner, organisation, "Matrix Practitioner", email, roles, Password), default);
        created.Succeeded.ShouldBeTrue(string.Join("; ", created.Errors.Select(e => e.Description)));
        return email;
    }

    private async Task<HttpClient> SignInAsync(PractitionerId practitioner, OrganisationId organisation, Roles roles)
    {
        var email = await GivenAccountAsync(practitioner, organisation, roles);

        var antiforgery = new AntiforgeryOnWrites();
        var http = host.CreateDefaultClient(new Uri("http://localhost/"), antiforgery, new CookieContainerHandler());
        var password = await PostFormAsync(http, "/account/sign-in", new() { ["email"] = email, ["password"] = Password });
        password.GetProperty("next").GetString().ShouldBe("enrol");
        // A new account's key is fresh, so the current step's code has never been used for it.
        var key = password.GetProperty("sharedKey").GetString()!;
        await PostFormAsync(http, "/account/enrolment", new() { ["code"] = Totp.Code(key, host.Services.GetRequiredService<TimeProvider>().GetUtcNow()) });

        // The token is bound to the signed-in user, so it is fetched after the second factor, as the pages' script does.
        antiforgery.Token = await TokenAsync(http);
        using var me = await http.GetAsync("/api/v1/me");
        me.StatusCode.ShouldBe(HttpStatusCode.OK, "the session reaches the API");
        return http;
    }

    private static async Task<JsonElement> PostFormAsync(HttpClient http, string path, Dictionary<string, string> fields)
    {
        fields["__RequestVerificationToken"] = await TokenAsync(http);
        using var response = await http.PostAsync(path, new FormUrlEncodedContent(fields));
        var body = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(HttpStatusCode.OK, $"{path}: {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    private static async Task<string> TokenAsync(HttpClient http) =>
        (await http.GetFromJsonAsync<JsonElement>("/account/antiforgery")).GetProperty("requestToken").GetString()!;

    /// <summary>Sends the session's antiforgery token with every change, as the pages' script does; reads go without it.</summary>
    private sealed class AntiforgeryOnWrites : DelegatingHandler
    {
        public string? Token { get; set; }

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var reads = request.Method == HttpMethod.Get || request.Method == HttpMethod.Head || request.Method == HttpMethod.Options;
            var withheld = request.Options.TryGetValue(WithoutAntiforgery, out var without) && without;
            if (Token is not null && !reads && !withheld) request.Headers.Add("RequestVerificationToken", Token);
            return base.SendAsync(request, cancellationToken);
        }
    }
}

/// <summary>
/// Names, in a response header, the route the host matched for the request ("POST /api/v1/clients/{clientId}/erasure"), so
/// a matrix can check that each of its cells reached the route it declares, and that list cannot drift from what it sends.
/// </summary>
public sealed class MatchedRoute : IStartupFilter
{
    public const string Header = "X-Test-Matched-Route";

    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        app.Use((context, nextMiddleware) =>
        {
            context.Response.OnStarting(() =>
            {
                if (context.GetEndpoint() is RouteEndpoint endpoint)
                    // A route mapped for every method (the hub's) is named as the coverage test names it.
                    context.Response.Headers[Header] = $"{(endpoint.Metadata.GetMetadata<HttpMethodMetadata>() is null ? "ANY" : context.Request.Method)} {Pattern(endpoint)}";
                return Task.CompletedTask;
            });
            return nextMiddleware(context);
        });
        next(app);
    };

    /// <summary>The route as mapped, with a leading slash and no trailing one, the way the matrices and the sweep declare it.</summary>
    public static string Pattern(RouteEndpoint endpoint)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        var raw = "/" + (endpoint.RoutePattern.RawText ?? "").Trim('/');
        return raw;
    }
}
