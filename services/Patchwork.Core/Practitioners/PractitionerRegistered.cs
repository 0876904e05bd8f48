using Patchwork.EventStore;

namespace Patchwork.Core.Practitioners;

/// <summary>
/// A practitioner of an organisation on the partnership's register (their name, job title and contact route for the team
/// view). Only the demo partnership's seeding makes one today; accounts are made by invitation (rule 13 is checked there).
/// </summary>
[EventName(EventNames.PractitionerRegistered)]
public sealed record PractitionerRegistered(PractitionerId Practitioner, OrganisationId Organisation, string Name, string JobTitle, ContactRoute Contact, Roles Roles, string? Team, ActedBy By, DateTimeOffset At);
