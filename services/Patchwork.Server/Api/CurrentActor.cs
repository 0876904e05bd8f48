using System.Security.Claims;
using Patchwork.Core;
using Patchwork.Core.Access;
using Patchwork.EventStore;
using Patchwork.Server.Tokens;

namespace Patchwork.Server.Api;

/// <summary>
/// Who is calling the API: a signed-in practitioner (cookie claims) or a partner system (an at+jwt token). The one
/// place that reads identity claims, so every endpoint gets the same actor and the same policy viewer.
/// </summary>
public sealed record CurrentActor(Actor Actor, Viewer Viewer)
{
    /// <summary>The practitioner claims the sign-in slice issues (its PatchworkClaims names these same strings).</summary>
    internal const string PractitionerClaim = SignIn.PatchworkClaims.Practitioner;
    internal const string OrganisationClaim = SignIn.PatchworkClaims.Organisation;
    internal const string RoleClaim = SignIn.PatchworkClaims.Role;

    public OrganisationId Organisation => Actor.Organisation;

    public bool IsPractitioner => Actor is Actor.Practitioner;

    public bool Holds(Roles role) => Actor is Actor.Practitioner p && p.Holds(role);

    public ActingPrincipal Principal => Actor switch
    {
        Actor.Practitioner p => new ActingPrincipal(PrincipalKind.Practitioner, p.Id.Value),
        Actor.PartnerSystem s => new ActingPrincipal(PrincipalKind.PartnerSystem, s.Id.Value),
        _ => throw new InvalidOperationException("an unknown kind of actor"),
    };

    /// <summary>The actor behind the request, or null when the principal is neither a practitioner nor a partner system.</summary>
    public static CurrentActor? From(ClaimsPrincipal user)
    {
        ArgumentNullException.ThrowIfNull(user);
        if (PartnerCaller.From(user) is { } partner)
            return new CurrentActor(partner.AsActor(), Viewer.ForOrganisation(partner.Organisation));
        var practitioner = user.FindFirst(PractitionerClaim)?.Value;
        var organisation = user.FindFirst(OrganisationClaim)?.Value;
        if (!Guid.TryParse(practitioner, out var id) || !Guid.TryParse(organisation, out var org) || user.Identity?.IsAuthenticated != true)
            return null;
        var roles = user.FindAll(RoleClaim).Aggregate(Roles.None,
            (held, claim) => Enum.TryParse<Roles>(claim.Value, ignoreCase: false, out var role) && Enum.IsDefined(role) ? held | role : held);
        return new CurrentActor(
            new Actor.Practitioner(new PractitionerId(id), new OrganisationId(org), roles),
            Viewer.ForPractitioner(new PractitionerId(id), new OrganisationId(org)));
    }

    /// <summary>Minimal API binding: the API's authorization policy has already proved an actor is there.</summary>
    public static ValueTask<CurrentActor?> BindAsync(HttpContext context) =>
        ValueTask.FromResult<CurrentActor?>(From(context.User) ?? throw new InvalidOperationException("The API policy admitted a caller that is no actor."));
}
