namespace Patchwork.Core.Objections;

/// <summary>The client objects to sharing with an organisation or sector; in force until withdrawn.</summary>
public sealed record Objection(ObjectionId Id, SharingScope Scope, DateTimeOffset RecordedAt, DateTimeOffset? WithdrawnAt, OrganisationId RecordedBy)
{
    public bool IsInForce(DateTimeOffset now) => WithdrawnAt is null && RecordedAt <= now;
}
