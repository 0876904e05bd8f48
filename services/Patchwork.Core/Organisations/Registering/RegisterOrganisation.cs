using Patchwork.EventStore;

namespace Patchwork.Core.Organisations;

public sealed record RegisterOrganisation(OrganisationId Organisation, string Name, Sector Sector, string? OdsCode, ContactRoute? OutOfHours);

[EventName(EventNames.OrganisationRegistered)]
public sealed record OrganisationRegistered(OrganisationId Organisation, string Name, Sector Sector, string? OdsCode, ContactRoute? OutOfHours, ActedBy By, DateTimeOffset At);

/// <summary>Only a partnership administrator admits an agency to the partnership.</summary>
public static class Registering
{
    public const int MaxNameLength = 200;

    public static Result<OrganisationRegistered> Decide(Partnership partnership, RegisterOrganisation command, Actor by, DateTimeOffset now)
    {
        var odsCode = command.OdsCode?.Trim().ToUpperInvariant();
        var problem =
            (by is not Actor.Practitioner admin || !admin.Holds(Roles.PartnershipAdmin)
                ? Problem.Forbidden("only a partnership administrator may register an organisation") : null)
            ?? (partnership.Organisations.ContainsKey(command.Organisation) ? Problem.Conflict("this organisation is already registered") : null)
            ?? Text.Required(command.Name, "name", MaxNameLength)
            ?? (!Enum.IsDefined(command.Sector) ? Problem.Invalid("sector", "is not a recognised sector") : null)
            ?? (odsCode is { Length: > 0 } && !IsOdsCode(odsCode) ? Problem.Invalid("odsCode", "an ODS code is 3 to 6 letters and digits") : null)
            ?? (command.OutOfHours is not null ? ContactRoute.Check(command.OutOfHours, "outOfHours") : null)
            ?? (partnership.Organisations.Values.Any(o => string.Equals(o.Name, command.Name.Trim(), StringComparison.OrdinalIgnoreCase))
                ? Problem.Conflict("an organisation with this name is already registered") : null);
        return problem ?? (Result<OrganisationRegistered>)new OrganisationRegistered(
            command.Organisation, command.Name.Trim(), command.Sector, string.IsNullOrEmpty(odsCode) ? null : odsCode, command.OutOfHours, ActedBy.From(by), now);
    }

    private static bool IsOdsCode(string code) => code.Length is >= 3 and <= 6 && code.All(char.IsAsciiLetterOrDigit);
}
