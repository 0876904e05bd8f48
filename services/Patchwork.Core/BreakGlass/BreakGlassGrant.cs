namespace Patchwork.Core.BreakGlass;

/// <summary>
/// Emergency access for one practitioner to one client, until it expires; it never outlives its term. Its written
/// justification is personal data, kept under the grant's id in the erasable <see cref="Clients.Justifications"/>. A DPO of
/// the practitioner's organisation reviews it once (<see cref="Review"/>).
/// </summary>
public sealed record BreakGlassGrant(GrantId Id, PractitionerId Practitioner, OrganisationId Organisation, DateTimeOffset GrantedAt, DateTimeOffset ExpiresAt,
    BreakGlassReview? Review = null)
{
    public bool IsActive(DateTimeOffset now) => GrantedAt <= now && now < ExpiresAt;
}

/// <summary>Who reviewed a break-glass use, when, and what they found.</summary>
public sealed record BreakGlassReview(PractitionerId Reviewer, BreakGlassFinding Finding, DateTimeOffset At);
