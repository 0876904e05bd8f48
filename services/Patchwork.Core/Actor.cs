namespace Patchwork.Core;

/// <summary>Who asks for a decision: a signed-in practitioner, or a partner system acting for its organisation.</summary>
public abstract record Actor(OrganisationId Organisation)
{
    public sealed record Practitioner(PractitionerId Id, OrganisationId Organisation, Roles Roles) : Actor(Organisation)
    {
        public bool Holds(Roles role) => (Roles & role) == role;
    }

    /// <summary>A partner system never holds roles: it pushes its organisation's records, nothing more.</summary>
    public sealed record PartnerSystem(PartnerSystemId Id, OrganisationId Organisation) : Actor(Organisation);
}

/// <summary>Who did something, as recorded in an event: ids only, so the log holds no names.</summary>
public sealed record ActedBy(OrganisationId Organisation, PractitionerId? Practitioner, PartnerSystemId? PartnerSystem)
{
    public static ActedBy From(Actor actor) => actor switch
    {
        Actor.Practitioner p => new(p.Organisation, p.Id, null),
        Actor.PartnerSystem s => new(s.Organisation, null, s.Id),
        _ => throw new ArgumentOutOfRangeException(nameof(actor), actor, "an unknown kind of actor"),
    };
}
