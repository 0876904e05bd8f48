using Patchwork.EventStore;

namespace Patchwork.Core.PartnerSystems;

/// <summary>Registers a machine client of one organisation; its credentials are issued by the host, not recorded here.</summary>
public sealed record RegisterPartnerSystem(PartnerSystemId PartnerSystem, OrganisationId Organisation, string Name);

[EventName(EventNames.PartnerSystemRegistered)]
public sealed record PartnerSystemRegistered(PartnerSystemId PartnerSystem, OrganisationId Organisation, string Name, ActedBy By, DateTimeOffset At);

public sealed record PartnerSystem(PartnerSystemId Id, OrganisationId Organisation, string Name)
{
    public Actor.PartnerSystem AsActor() => new(Id, Organisation);
}

public static class Registering
{
    public const int MaxNameLength = 200;

    public static Result<PartnerSystemRegistered> Decide(PartnerSystem? current, RegisterPartnerSystem command, Actor by, Partnership partnership, DateTimeOffset now)
    {
        var problem =
            (by is not Actor.Practitioner admin || !(admin.Holds(Roles.OrganisationAdmin) && admin.Organisation == command.Organisation)
                ? Problem.Forbidden("only an administrator of the organisation may register its partner systems") : null)
            ?? (current is not null ? Problem.Conflict("this partner system is already registered") : null)
            ?? (!partnership.Organisations.ContainsKey(command.Organisation) ? Problem.Invalid("organisation", "is not registered in the partnership") : null)
            ?? Text.Required(command.Name, "name", MaxNameLength);
        return problem ?? (Result<PartnerSystemRegistered>)new PartnerSystemRegistered(
            command.PartnerSystem, command.Organisation, command.Name.Trim(), ActedBy.From(by), now);
    }
}
