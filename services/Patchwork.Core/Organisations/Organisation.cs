namespace Patchwork.Core.Organisations;

/// <summary>An agency in the partnership; its sector is what a sector-wide consent or objection names.</summary>
public sealed record Organisation(OrganisationId Id, string Name, Sector Sector, string? OdsCode, ContactRoute? OutOfHours);
