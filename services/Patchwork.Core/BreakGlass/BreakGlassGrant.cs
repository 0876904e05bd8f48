namespace Patchwork.Core.BreakGlass;

/// <summary>Emergency access for one practitioner to one client, until it expires; it never outlives its term.</summary>
public sealed record BreakGlassGrant(GrantId Id, PractitionerId Practitioner, OrganisationId Organisation, string Justification, DateTimeOffset GrantedAt, DateTimeOffset ExpiresAt)
{
    public bool IsActive(DateTimeOffset now) => GrantedAt <= now && now < ExpiresAt;
}
