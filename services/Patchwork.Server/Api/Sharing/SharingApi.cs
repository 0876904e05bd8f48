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
    public Result<SharingScope> ToScope() =>
        (OrganisationId, Sector) switch
        {
            ({ } organisation, null) => SharingScope.OrganisationNamed(new OrganisationId(organisation)),
            (null, { } sector) => SharingScope.SectorNamed(sector),
            _ => Problem.Invalid("scope", "name an organisation or a sector, not both"),
        };
}

/// <summary>General categories unless excluded; sensitive ones only by name.</summary>
public sealed record CategoriesBody(bool IncludesGeneral, IReadOnlyList<string>? Named)
{
    public Result<CategoryScope> ToScope(CategoryList categories)
    {
        var named = new List<Category>();
        foreach (var name in Named ?? [])
        {
            if (categories.Find(name ?? "") is not { } category) return Problem.Invalid("categories", $"'{name}' is not one of the partnership's categories");
            named.Add(category);
        }
        return new CategoryScope(IncludesGeneral, [.. named]);
    }
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
                commands.HandleAsync(new ClientCommand(http, me, new ClientId(clientId), "consent.record"),
                    (client, partnership, now) => body.Decide(client, me, partnership, now),
                    recorded => Created(clientId, "consents", recorded.Consent.Value), ct))
            .AllowPartnerWith(PartnerScopes.ConsentsWrite).WithName("RecordConsent");

        api.MapPost("/clients/{clientId}/consents/{consentId}/withdraw", (Guid clientId, Guid consentId, CurrentActor me, ClientCommands commands, HttpContext http,
                CancellationToken ct) =>
                commands.HandleAsync(new ClientCommand(http, me, new ClientId(clientId), "consent.withdraw"),
                    (client, _, now) => Core.Consents.Withdrawing.Decide(client, new WithdrawConsent(client.Client, new ConsentId(consentId)), me.Actor, now),
                    _ => TypedResults.Ok(new CreatedResponse(consentId)), ct))
            .AllowPartnerWith(PartnerScopes.ConsentsWrite).WithName("WithdrawConsent");

        api.MapPost("/clients/{clientId}/objections", (Guid clientId, RecordObjectionRequest body, CurrentActor me, ClientCommands commands, HttpContext http,
                CancellationToken ct) =>
                commands.HandleAsync(new ClientCommand(http, me, new ClientId(clientId), "objection.record"),
                    (client, partnership, now) => (body.Scope?.ToScope() ?? Problem.Invalid("scope", "name an organisation or a sector")).Bind(scope =>
                        Core.Objections.Recording.Decide(client, new RecordObjection(client.Client, ObjectionId.New(), scope), me.Actor, partnership, now)),
                    recorded => Created(clientId, "objections", recorded.Objection.Value), ct))
            .AllowPartnerWith(PartnerScopes.ConsentsWrite).WithName("RecordObjection");

        api.MapPost("/clients/{clientId}/objections/{objectionId}/withdraw", (Guid clientId, Guid objectionId, CurrentActor me, ClientCommands commands,
                HttpContext http, CancellationToken ct) =>
                commands.HandleAsync(new ClientCommand(http, me, new ClientId(clientId), "objection.withdraw"),
                    (client, partnership, now) => Core.Objections.Withdrawing.Decide(client, new WithdrawObjection(client.Client, new ObjectionId(objectionId)), me.Actor, partnership, now),
                    _ => TypedResults.Ok(new CreatedResponse(objectionId)), ct))
            .AllowPartnerWith(PartnerScopes.ConsentsWrite).WithName("WithdrawObjection");

        api.MapPost("/clients/{clientId}/sharing-without-consent", (Guid clientId, RequestSharingWithoutConsentRequest body, CurrentActor me, ClientCommands commands,
                HttpContext http, CancellationToken ct) =>
        {
            var basis = SharingWithoutConsentId.New();
            return commands.HandleAsync(new ClientCommand(http, me, new ClientId(clientId), "sharing-without-consent.request") { Justification = (basis.Value, body.Justification) },
                (client, _, now) => body.ExpiresAt is not { } expires ? Problem.Invalid("expiresAt", "is required")
                    : Core.SharingWithoutConsent.Requesting.Decide(client, new RequestSharingWithoutConsent(client.Client, basis,
                        body.LawfulBasis, body.Justification ?? "", expires), me.Actor, now),
                requested => Created(clientId, "sharing-without-consent", requested.Basis.Value), ct);
        }).WithName("RequestSharingWithoutConsent");

        api.MapPost("/clients/{clientId}/sharing-without-consent/{basisId}/approve", (Guid clientId, Guid basisId, CurrentActor me, ClientCommands commands,
                HttpContext http, CancellationToken ct) =>
                commands.HandleAsync(new ClientCommand(http, me, new ClientId(clientId), "sharing-without-consent.approve"),
                    (client, _, now) => Approving.Decide(client, new ApproveSharingWithoutConsent(client.Client, new SharingWithoutConsentId(basisId)), me.Actor, now),
                    _ => TypedResults.Ok(new CreatedResponse(basisId)), ct))
            .WithName("ApproveSharingWithoutConsent");

        api.MapPost("/clients/{clientId}/break-glass", (Guid clientId, BreakGlassRequest body, CurrentActor me, ClientCommands commands, HttpContext http,
                CancellationToken ct) =>
        {
            var grant = GrantId.New();
            return commands.HandleAsync(new ClientCommand(http, me, new ClientId(clientId), "break-glass.grant") { OpenToAnyone = true, Justification = (grant.Value, body.Justification) },
                (client, _, now) => Granting.Decide(client, new GrantBreakGlass(client.Client, grant, body.Justification ?? "",
                    body.DurationMinutes is { } minutes ? TimeSpan.FromMinutes(minutes) : null), me.Actor, now),
                granted => TypedResults.Created($"/api/v1/clients/{clientId}/team", new BreakGlassResponse(granted.Grant.Value, granted.ExpiresAt)), ct);
        }).WithName("BreakGlass");
        return api;
    }

    private static Created<CreatedResponse> Created(Guid clientId, string collection, Guid id) =>
        TypedResults.Created($"/api/v1/clients/{clientId}/{collection}/{id}", new CreatedResponse(id));

    internal static Result<ConsentRecorded> Decide(this RecordConsentRequest body, ClientSharing client, CurrentActor me, Partnership partnership, DateTimeOffset now)
    {
        if (body.Scope is null) return Problem.Invalid("scope", "name an organisation or a sector");
        if (body.Categories is null) return Problem.Invalid("categories", "a consent must cover at least one category");
        if (body.Evidence is null) return Problem.Invalid("evidence", "is required");
        return body.Scope.ToScope().Bind(scope => body.Categories.ToScope(partnership.Categories).Bind(categories =>
            Core.Consents.Recording.Decide(client, new RecordConsent(client.Client, ConsentId.New(), scope, categories, body.GivenBy,
                new ConsentEvidence(body.Evidence.Kind, body.Evidence.Reference), body.ExpiresAt), me.Actor, partnership, now)));
    }
}

public sealed record BreakGlassResponse(Guid GrantId, DateTimeOffset ExpiresAt);
