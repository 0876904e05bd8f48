using Patchwork.EventStore;

namespace Patchwork.Core.Practitioners;

public sealed record RegisterPractitioner(PractitionerId Practitioner, OrganisationId Organisation, string Name, string JobTitle, ContactRoute Contact, Roles Roles, string? Team = null);

[EventName(EventNames.PractitionerRegistered)]
public sealed record PractitionerRegistered(PractitionerId Practitioner, OrganisationId Organisation, string Name, string JobTitle, ContactRoute Contact, Roles Roles, string? Team, ActedBy By, DateTimeOffset At);

/// <summary>An organisation administrator onboards their own staff; only a partnership administrator may grant partnership administration.</summary>
public static class Registering
{
    public const int MaxTextLength = 200;

    public static Result<PractitionerRegistered> Decide(Practitioner? current, RegisterPractitioner command, Actor by, Partnership partnership, DateTimeOffset now)
    {
        var admin = by as Actor.Practitioner;
        var problem =
            (admin is null || !(admin.Holds(Roles.PartnershipAdmin) || (admin.Holds(Roles.OrganisationAdmin) && admin.Organisation == command.Organisation))
                ? Problem.Forbidden("only an administrator of the organisation may register its practitioners") : null)
            ?? ((command.Roles & ~RoleGrants.GrantableBy(admin!.Roles)) != 0
                ? Problem.Forbidden("an administrator grants only the roles they hold (and a partnership administrator the data protection officer's)") : null)
            ?? (current is not null ? Problem.Conflict("this practitioner is already registered") : null)
            ?? (!partnership.Organisations.ContainsKey(command.Organisation) ? Problem.Invalid("organisation", "is not registered in the partnership") : null)
            ?? Text.Required(command.Name, "name", MaxTextLength)
            ?? Text.Required(command.JobTitle, "jobTitle", MaxTextLength)
            ?? Text.Optional(command.Team, "team", MaxTextLength)
            ?? ContactRoute.Check(command.Contact, "contact")
            ?? (command.Roles == Roles.None || (command.Roles & ~AllRoles) != 0 ? Problem.Invalid("roles", "give at least one recognised role") : null);
        return problem ?? (Result<PractitionerRegistered>)new PractitionerRegistered(
            command.Practitioner, command.Organisation, command.Name.Trim(), command.JobTitle.Trim(), command.Contact, command.Roles, command.Team?.Trim(),
            ActedBy.From(by), now);
    }

    private const Roles AllRoles = Roles.Practitioner | Roles.Manager | Roles.DataProtectionOfficer | Roles.OrganisationAdmin | Roles.PartnershipAdmin;
}
