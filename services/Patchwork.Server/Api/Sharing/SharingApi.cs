using Microsoft.AspNetCore.Http.HttpResults;
using Patchwork.Core;
using Patchwork.Core.BreakGlass;
using Patchwork.Core.Consents;
using Patchwork.Core.Objections;
using Patchwork.Core.SharingWithoutConsent;
using Patchwork.Server.Tokens;

namespace Patchwork.Server.Api.Sharing;

/// <summary>Names one organisation or one sector, never both.</summary>
public sealed record ScopeBody(Guid? OrganisationId, Sector? Sector)
{
    public Result<SharingScope> ToScope() => SharingScope.Naming(OrganisationId, Sector);
}

/// <summary>General categories unless excluded; sensitive ones only by name.</summary>
public sealed record CategoriesBody(bool IncludesGeneral, IReadOnlyList<string>? Named)
{
    public Result<CategoryScope> ToScope(CategoryList categories) => CategoryScope.Naming(IncludesGeneral, Named, categories);
}

public sealed record EvidenceBody(EvidenceKind Kind, string? Reference);

public sealed record RecordConsentRequest(ScopeBody? Scope, CategoriesBody? Categories, ConsentGiver GivenBy, EvidenceBody? Evidence, DateTimeOffset? ExpiresAt);

public sealed record RecordObjectionRequest(ScopeBody? Scope);

public sealed record RequestSharingWithoutConsentRequest(LawfulBasis LawfulBasis, string? Justification, DateTimeOffset? ExpiresAt);

public sealed record BreakGlassRequest(string? Justification, int? DurationMinutes);

public sealed record CreatedResponse(Guid Id);

public static class SharingApi
{
    public static RouteGroupBuilder MapSharingApi(this RouteGroupBuilder api)
    {
        ArgumentNullException.ThrowIfNull(api);
        api.MapPost("/clients/{clientId}/consents", (Guid clientId, RecordConsentRequest body, CurrentActor me, ClientCommands commands, HttpContext http, CancellationToken ct) =>
                commands.HandleAsync(http, me, Core.Consents.Recording.UseCase(new ClientId(clientId), categories => body.ToCommand(new ClientId(clientId), categories), me.Actor),
                    recorded => Created(clientId, "consents", recorded.Consent.Value), ct))
            .AllowPartnerWith(PartnerScopes.ConsentsWrite).WithName("RecordConsent");

        api.MapPost("/clients/{clientId}/consents/{consentId}/withdraw", (Guid clientId, Guid consentId, CurrentActor me, ClientCommands commands, HttpContext http,
                CancellationToken ct) =>
                commands.HandleAsync(http, me, Core.Consents.Withdrawing.UseCase(new WithdrawConsent(new ClientId(clientId), new ConsentId(consentId)), me.Actor),
                    _ => TypedResults.Ok(new CreatedResponse(consentId)), ct))
            .AllowPartnerWith(PartnerScopes.ConsentsWrite).WithName("WithdrawConsent");

        api.MapPost("/clients/{clientId}/objections", (Guid clientId, RecordObjectionRequest body, CurrentActor me, ClientCommands commands, HttpContext http,
                CancellationToken ct) =>
                commands.HandleAsync(http, me, Core.Objections.Recording.UseCase(new ClientId(clientId), ObjectionId.New(),
                        body.Scope?.ToScope() ?? Problem.Invalid("scope", "name an organisation or a sector"), me.Actor),
                    recorded => Created(clientId, "objections", recorded.Objection.Value), ct))
            .AllowPartnerWith(PartnerScopes.ConsentsWrite).WithName("RecordObjection");

        api.MapPost("/clients/{clientId}/objections/{objectionId}/withdraw", (Guid clientId, Guid objectionId, CurrentActor me, ClientCommands commands,
                HttpContext http, CancellationToken ct) =>
                commands.HandleAsync(http, me, Core.Objections.Withdrawing.UseCase(new WithdrawObjection(new ClientId(clientId), new ObjectionId(objectionId)), me.Actor),
                    _ => TypedResults.Ok(new CreatedResponse(objectionId)), ct))
            .AllowPartnerWith(PartnerScopes.ConsentsWrite).WithName("WithdrawObjection");

        api.MapPost("/clients/{clientId}/sharing-without-consent", (Guid clientId, RequestSharingWithoutConsentRequest body, CurrentActor me, ClientCommands commands,
                HttpContext http, CancellationToken ct) =>
                commands.HandleAsync(http, me, Core.SharingWithoutConsent.Requesting.UseCase(new ClientId(clientId), SharingWithoutConsentId.New(), body.LawfulBasis,
                        body.Justification, body.ExpiresAt, me.Actor),
                    requested => Created(clientId, "sharing-without-consent", requested.Basis.Value), ct))
            .WithName("RequestSharingWithoutConsent");

        api.MapPost("/clients/{clientId}/sharing-without-consent/{basisId}/approve", (Guid clientId, Guid basisId, CurrentActor me, ClientCommands commands,
                HttpContext http, CancellationToken ct) =>
                commands.HandleAsync(http, me, Approving.UseCase(new ApproveSharingWithoutConsent(new ClientId(clientId), new SharingWithoutConsentId(basisId)), me.Actor),
                    _ => TypedResults.Ok(new CreatedResponse(basisId)), ct))
            .WithName("ApproveSharingWithoutConsent");

        api.MapPost("/clients/{clientId}/break-glass", (Guid clientId, BreakGlassRequest body, CurrentActor me, ClientCommands commands, HttpContext http,
                CancellationToken ct) =>
                commands.HandleAsync(http, me, Granting.UseCase(new ClientId(clientId), GrantId.New(), body.Justification,
                        body.DurationMinutes is { } minutes ? TimeSpan.FromMinutes(minutes) : null, me.Actor),
                    granted => TypedResults.Created($"/api/v1/clients/{clientId}/team", new BreakGlassResponse(granted.Grant.Value, granted.ExpiresAt)), ct))
            .WithName("BreakGlass");
        return api;
    }

    private static Created<CreatedResponse> Created(Guid clientId, string collection, Guid id) =>
        TypedResults.Created($"/api/v1/clients/{clientId}/{collection}/{id}", new CreatedResponse(id));

    /// <summary>The request as the slice's command; its categories are named in the partnership's list.</summary>
    private static Result<RecordConsent> ToCommand(this RecordConsentRequest body, ClientId client, CategoryList categories) =>
        Core.Consents.Recording.Command(client, ConsentId.New(), body.Scope?.ToScope(), body.Categories is { } named ? (named.IncludesGeneral, named.Named) : null,
            body.GivenBy, body.Evidence is { } evidence ? new ConsentEvidence(evidence.Kind, evidence.Reference) : null, body.ExpiresAt, categories);
}

public sealed record BreakGlassResponse(Guid GrantId, DateTimeOffset ExpiresAt);
