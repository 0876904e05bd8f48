using Patchwork.EventStore;

namespace Patchwork.Core.Objections;

public sealed record RecordObjection(ClientId Client, ObjectionId Objection, SharingScope Scope);

[EventName(EventNames.ObjectionRecorded)]
public sealed record ObjectionRecorded(ObjectionId Objection, ClientId Client, SharingScope Scope, ActedBy By, DateTimeOffset At);

public static class Recording
{
    public static Result<ObjectionRecorded> Decide(ClientSharing client, RecordObjection command, Actor by, Partnership partnership, DateTimeOffset now)
    {
        var problem =
            client.Objections.ContainsKey(command.Objection) ? Problem.Conflict("this objection is already recorded")
            : command.Client != client.Client ? Problem.Invalid("client", "does not match the client's record")
            : TeamMembership.CheckOrganisationInvolved(client, by)
            ?? (command.Scope is null ? Problem.Invalid("scope", "name an organisation or a sector") : null)
            ?? (command.Scope?.Organisation is { } named && !partnership.Organisations.ContainsKey(named)
                ? Problem.Invalid("scope", "names an organisation outside the partnership") : null);
        return problem ?? (Result<ObjectionRecorded>)new ObjectionRecorded(command.Objection, client.Client, command.Scope!, ActedBy.From(by), now);
    }
}
