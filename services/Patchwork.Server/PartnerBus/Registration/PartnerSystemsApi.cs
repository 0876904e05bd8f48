using System.Security.Claims;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Patchwork.Core;
using Patchwork.Server.Api;
using Patchwork.Server.Api.Audit;
using Patchwork.Server.SignIn;
using Patchwork.Server.Tokens;

namespace Patchwork.Server.PartnerBus.Registration;

/// <summary>
/// An organisation admin registers, lists and revokes their own organisation's partner systems (cookie sessions past
/// the second factor only). Every call is audited, refusals included. Credentials are in the one 201 response, marked
/// no-store, and nowhere else: not in logs, not in the list.
/// </summary>
internal static class PartnerSystemsApi
{
    public sealed record RegisterPartnerSystemBody(string? DisplayName, string[]? Scopes, JsonElement? PublicJwk, bool? ClientSecret);

    public sealed record PartnerSystemView(Guid PartnerSystemId, string ClientId, Guid OrganisationId, string DisplayName, IReadOnlyList<string> Scopes,
        IReadOnlyList<string> Authentication, IReadOnlyList<string> KeyIds, bool Disabled, DateTimeOffset CreatedAt, string BrokerUsername,
        string NoticeQueue, string InboundExchange);

    public sealed record BrokerConnection(string Host, int Port, string VirtualHost, string Username, string Password, string NoticeQueue, string InboundExchange);

    public sealed record PartnerSystemCredentials(PartnerSystemView PartnerSystem, string TokenEndpoint, string? ClientSecret, BrokerConnection Broker);

    private const string Path = "/organisations/{organisation:guid}/partner-systems";

    public static IEndpointRouteBuilder MapPartnerSystemsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup(ApiExtensions.Prefix).RequireAuthorization(PatchworkClaims.PractitionerPolicy).AnswersProblems();
        api.MapPost(Path, Register).RequireAntiforgeryToken().HoldsCredentials();
        api.MapGet(Path, List).WithDescription(Api.Agreements.AgreementsApi.PagedDescription);
        api.MapPost(Path + "/{partnerSystem:guid}/revoke", Revoke).RequireAntiforgeryToken();
        return app;
    }

    internal static async Task<Results<Created<PartnerSystemCredentials>, ValidationProblem, ProblemHttpResult>> Register(Guid organisation, RegisterPartnerSystemBody? body, ClaimsPrincipal user, HttpContext http,
        PartnerSystemRegistry registry, RequestAudit audit, TokenOptions tokens, CancellationToken cancellationToken)
    {
        var made = await RegisterAsync(organisation, new NewPartnerSystem(body?.DisplayName, body?.Scopes, body?.PublicJwk, body?.ClientSecret == true), user, http,
            registry, audit, tokens, cancellationToken);
        return made.Problem is { } problem ? ApiProblems.From<Created<PartnerSystemCredentials>>(problem)
            : TypedResults.Created($"{ApiExtensions.Prefix}/organisations/{organisation}/partner-systems/{made.Value.PartnerSystem.PartnerSystemId}", made.Value);
    }

    /// <summary>A partner system to register, as any door reads it: its name, the scopes it may ask for, and how it authenticates.</summary>
    public sealed record NewPartnerSystem(string? DisplayName, string[]? Scopes, JsonElement? PublicJwk, bool ClientSecret);

    /// <summary>
    /// The one registration, for the API and the admin pages: an admin of <paramref name="organisation"/> only; the form
    /// checked whole; the credentials made once and answered with no-store. Every outcome audited.
    /// </summary>
    internal static async Task<Result<PartnerSystemCredentials>> RegisterAsync(Guid organisation, NewPartnerSystem system, ClaimsPrincipal user, HttpContext http,
        PartnerSystemRegistry registry, RequestAudit audit, TokenOptions tokens, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(system);
        const string action = "partner-system.register";
        if (await RefusedAsync(organisation, user, http, audit, action) is { } refused) return refused;
        var caller = CurrentActor.From(user)!;

        var errors = new Dictionary<string, string[]>();
        var name = system.DisplayName?.Trim() ?? "";
        if (Text.Required(name, "displayName", 200) is not null) errors["displayName"] = ["Give the partner system's name (at most 200 characters)."];
        var scopes = system.Scopes ?? [];
        if (scopes.Length == 0 || scopes.Any(scope => !PartnerScopes.IsKnown(scope)))
            errors["scopes"] = [$"Give one or more of: {string.Join(", ", PartnerScopes.All)}."];
        string? jwk = null;
        if (system.PublicJwk is { ValueKind: not JsonValueKind.Null } given)
        {
            if (given.ValueKind != JsonValueKind.Object) errors["publicJwk"] = ["A public JWK is a JSON object."];
            else
            {
                try
                {
                    jwk = PartnerPublicKey.ToPublicJson(PartnerPublicKey.Parse(given.GetRawText())).ToJsonString();
                }
                catch (ArgumentException invalid)
                {
                    errors["publicJwk"] = [invalid.Message.Split(" (Parameter", 2)[0]];
                }
            }
        }
        if (jwk is null && !errors.ContainsKey("publicJwk") && !system.ClientSecret)
            errors["publicJwk"] = ["Give a public JWK for private_key_jwt, or set clientSecret to true for a client secret."];
        if (errors.Count > 0)
        {
            await audit.DeniedAsync(http, caller, action, null, "Invalid:" + string.Join(',', errors.Keys));
            return Problem.Invalid(errors);
        }

        RegisteredPartnerSystem registered;
        try
        {
            registered = await registry.RegisterAsync(
                new PartnerSystemRequest(new OrganisationId(organisation), name, scopes, jwk, system.ClientSecret), cancellationToken);
        }
        catch (PartnerSystemUnavailable unavailable)
        {
            await audit.DeniedAsync(http, caller, action, null, "BrokerUnavailable");
            http.Response.Headers.RetryAfter = "30";
            return Problem.Unavailable(unavailable.Message);
        }
        await audit.AllowedAsync(http, caller, action, null, "OrganisationAdmin:" + registered.Client.ClientId.Value);
        // The secrets are in this response only: no cache, no proxy may keep it.
        http.Response.Headers.CacheControl = "no-store";
        http.Response.Headers.Pragma = "no-cache";
        var broker = registered.Broker;
        return new PartnerSystemCredentials(View(registered.Client), tokens.TokenEndpoint, registered.ClientSecret,
            new BrokerConnection(registered.BrokerHost, registered.BrokerPort, broker.VirtualHost, broker.Username, broker.Password,
                broker.Names.NoticeQueue, broker.Names.InboundExchange));
    }

    internal static async Task<Results<Ok<List<PartnerSystemView>>, ValidationProblem, ProblemHttpResult>> List(Guid organisation, Guid? after, int? limit,
        ClaimsPrincipal user, HttpContext http, PartnerSystemRegistry registry, RequestAudit audit, CancellationToken cancellationToken)
    {
        if (!Api.Paging.TryLimit(limit, Api.Paging.LargestLimit, out var count, out var badLimit)) return badLimit!;
        var listed = await ListAsync(organisation, after, count, user, http, registry, audit, cancellationToken);
        return listed.Problem is { } problem ? ApiProblems.From<Ok<List<PartnerSystemView>>>(problem) : TypedResults.Ok(listed.Value);
    }

    /// <summary>The one list, for the API and the admin pages: an admin of <paramref name="organisation"/> only, <paramref name="count"/> after <paramref name="after"/>; audited.</summary>
    internal static async Task<Result<List<PartnerSystemView>>> ListAsync(Guid organisation, Guid? after, int count, ClaimsPrincipal user, HttpContext http,
        PartnerSystemRegistry registry, RequestAudit audit, CancellationToken cancellationToken)
    {
        const string action = "partner-system.list";
        if (await RefusedAsync(organisation, user, http, audit, action) is { } refused) return refused;
        var systems = await registry.ListAsync(new OrganisationId(organisation), cancellationToken);
        var page = Api.Paging.PageOf(http, systems.Select(View).ToList(), s => s.PartnerSystemId, after, count);
        if (page.Problem is null) await audit.AllowedAsync(http, CurrentActor.From(user)!, action, null, "OrganisationAdmin");
        return page;
    }

    internal static async Task<Results<NoContent, ProblemHttpResult>> Revoke(Guid organisation, Guid partnerSystem, ClaimsPrincipal user, HttpContext http,
        PartnerSystemRegistry registry, RequestAudit audit, CancellationToken cancellationToken)
    {
        var revoked = await RevokeAsync(organisation, partnerSystem, user, http, registry, audit, cancellationToken);
        return revoked.Problem switch
        {
            { Kind: ProblemKind.Unavailable } problem => ApiProblems.Unavailable(problem.Detail),
            { Kind: ProblemKind.NotFound } problem => ApiProblems.NotFound(problem.Detail),
            { } problem => ApiProblems.Forbidden(problem.Detail),
            null => TypedResults.NoContent(),
        };
    }

    /// <summary>The one revocation, for the API and the admin pages: an admin of <paramref name="organisation"/> only, of its own systems; audited.</summary>
    internal static async Task<Result<PartnerSystemId>> RevokeAsync(Guid organisation, Guid partnerSystem, ClaimsPrincipal user, HttpContext http,
        PartnerSystemRegistry registry, RequestAudit audit, CancellationToken cancellationToken)
    {
        const string action = "partner-system.revoke";
        if (await RefusedAsync(organisation, user, http, audit, action) is { } refused) return refused;
        var caller = CurrentActor.From(user)!;
        bool revoked;
        try
        {
            revoked = await registry.RevokeAsync(new OrganisationId(organisation), new PartnerSystemId(partnerSystem), cancellationToken);
        }
        catch (PartnerSystemUnavailable unavailable)
        {
            await audit.DeniedAsync(http, caller, action, null, "BrokerUnavailable:" + partnerSystem);
            http.Response.Headers.RetryAfter = "30";
            return Problem.Unavailable(unavailable.Message);
        }
        if (!revoked)
        {
            await audit.DeniedAsync(http, caller, action, null, "NoSuchPartnerSystem:" + partnerSystem);
            return Problem.NotFound("no such partner system in this organisation");
        }
        await audit.AllowedAsync(http, caller, action, null, "OrganisationAdmin:" + partnerSystem);
        return new PartnerSystemId(partnerSystem);
    }

    /// <summary>Only an admin of the organisation in the path; anyone else is refused, and the refusal is audited.</summary>
    private static async Task<Problem?> RefusedAsync(Guid organisation, ClaimsPrincipal user, HttpContext http, RequestAudit audit, string action)
    {
        if (SignedInPractitioner.From(user) is { } admin && admin.AdministersOrganisation(organisation)) return null;
        if (CurrentActor.From(user) is { } caller)
            await audit.DeniedAsync(http, caller, action, null, caller.Organisation.Value == organisation ? "NotOrganisationAdmin" : "OtherOrganisation");
        return Problem.Forbidden("only an organisation admin of this organisation manages its partner systems");
    }

    private static PartnerSystemView View(PartnerClient client)
    {
        var names = new PartnerBrokerNames(client.Organisation.Value);
        var authentication = new List<string>();
        if (client.PublicKeys.Count > 0) authentication.Add("private_key_jwt");
        if (client.HasSecret) authentication.Add("client_secret_basic");
        return new PartnerSystemView(client.ClientId.Value, client.OAuthClientId, client.Organisation.Value, client.DisplayName, client.AllowedScopes,
            authentication, client.PublicKeys.Select(key => key.Kid).ToList(), client.Disabled, client.CreatedAt,
            PartnerBrokerNames.UserFor(client.ClientId.Value), names.NoticeQueue, names.InboundExchange);
    }
}
