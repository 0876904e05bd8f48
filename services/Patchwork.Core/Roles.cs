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
