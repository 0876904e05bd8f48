namespace Patchwork.Core.Access;

/// <summary>Whom the policy decides for: a practitioner, or a whole organisation when its partner system reads.</summary>
public abstract record Viewer(OrganisationId Organisation)
{
    public static Viewer ForPractitioner(PractitionerId practitioner, OrganisationId organisation) => new Practitioner(practitioner, organisation);

    public static Viewer ForOrganisation(OrganisationId organisation) => new OrganisationLevel(organisation);

    /// <summary>Stable text naming this viewer, used to key its masked handles.</summary>
    internal abstract string Key { get; }

    public sealed record Practitioner(PractitionerId Id, OrganisationId Organisation) : Viewer(Organisation)
    {
        internal override string Key => $"practitioner:{Id.Value:N}";
    }

    /// <summary>A partner system sees what its organisation would see: rule 2 at organisation level, never break-glass.</summary>
    public sealed record OrganisationLevel(OrganisationId Organisation) : Viewer(Organisation)
    {
        internal override string Key => $"organisation:{Organisation.Value:N}";
    }
}
