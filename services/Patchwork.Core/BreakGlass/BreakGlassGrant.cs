namespace Patchwork.Core.BreakGlass;

/// <summary>
/// Emergency access for one practitioner to one client, until it expires; it never outlives its term. Its written
/// justification is personal data, kept under the grant's id in the erasable <see cref="Clients.Justifications"/>.
/// </summary>
public sealed record BreakGlassGrant(GrantId Id, PractitionerId Practitioner, OrganisationId Organisation, DateTimeOffset GrantedAt, DateTimeOffset ExpiresAt)
{
    public bool IsActive(DateTimeOffset now) => GrantedAt <= now && now < ExpiresAt;
}
