namespace Patchwork.Core;

/// <summary>What a practitioner may do beyond their own casework; a person can hold several.</summary>
[Flags]
public enum Roles
{
    None = 0,
    Practitioner = 1,
    Manager = 2,
    DataProtectionOfficer = 4,
    OrganisationAdmin = 8,
    PartnershipAdmin = 16,
}

/// <summary>DESIGN §3 rule 13: who may grant which role.</summary>
public static class RoleGrants
{
    /// <summary>
    /// The roles an administrator holding <paramref name="held"/> may grant: the ones they hold themselves, and the data
    /// protection officer role when they are a partnership admin (it is the partnership's to grant, not an organisation's).
    /// </summary>
    public static Roles GrantableBy(Roles held) =>
        Roles.Practitioner | held | (held.HasFlag(Roles.PartnershipAdmin) ? Roles.DataProtectionOfficer : Roles.None);
}
