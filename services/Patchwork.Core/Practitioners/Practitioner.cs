namespace Patchwork.Core.Practitioners;

/// <summary>A member of staff of one organisation; their contact details are what the team sees.</summary>
public sealed record Practitioner(PractitionerId Id, OrganisationId Organisation, string Name, string JobTitle, ContactRoute Contact, Roles Roles, string? Team)
{
    public Actor.Practitioner AsActor() => new(Id, Organisation, Roles);

    public static Practitioner From(PractitionerRegistered registered) => new(
        registered.Practitioner, registered.Organisation, registered.Name, registered.JobTitle, registered.Contact, registered.Roles, registered.Team);
}
