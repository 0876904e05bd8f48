using Patchwork.EventStore;

namespace Patchwork.Core.Organisations;

/// <summary>
/// An agency joined the partnership. Only the demo partnership's seeding makes one today: the product has no door to
/// register an organisation yet (its rules — a partnership administrator only, a unique name, an ODS code's form — are
/// to be that door's slice when it is built).
/// </summary>
[EventName(EventNames.OrganisationRegistered)]
public sealed record OrganisationRegistered(OrganisationId Organisation, string Name, Sector Sector, string? OdsCode, ContactRoute? OutOfHours, ActedBy By, DateTimeOffset At);
