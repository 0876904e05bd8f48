using System.Text.Json.Serialization;

namespace Patchwork.Core;

/// <summary>Whom a consent or an objection names: one organisation, or every organisation of a sector.</summary>
public sealed record SharingScope
{
    [JsonConstructor]
    private SharingScope(OrganisationId? organisation, Sector? sector)
    {
        Organisation = organisation;
        Sector = sector;
    }

    public OrganisationId? Organisation { get; }

    public Sector? Sector { get; }

    public static SharingScope OrganisationNamed(OrganisationId organisation) => new(organisation, null);

    public static SharingScope SectorNamed(Sector sector) => new(null, sector);

    /// <summary>The scope a door's fields name: one organisation or one sector, never both and never neither.</summary>
    public static Result<SharingScope> Naming(Guid? organisation, Sector? sector) =>
        (organisation, sector) switch
        {
            ({ } named, null) => OrganisationNamed(new OrganisationId(named)),
            (null, { } named) => SectorNamed(named),
            (null, null) => Problem.Invalid("scope", "name an organisation or a sector"),
            _ => Problem.Invalid("scope", "name an organisation or a sector, not both"),
        };

    /// <summary>True when this scope names <paramref name="organisation"/> or the sector it belongs to.</summary>
    public bool Names(OrganisationId organisation, Sector? sectorOfOrganisation) =>
        Organisation == organisation || (Sector is { } sector && sector == sectorOfOrganisation);

    public override string ToString() => Organisation is { } organisation ? $"organisation {organisation}" : $"sector {Sector}";
}
