using Patchwork.Core.Clients;
using Patchwork.EventStore;

namespace Patchwork.Core.Objections;

public sealed record RecordObjection(ClientId Client, ObjectionId Objection, SharingScope Scope);

[EventName(EventNames.ObjectionRecorded)]
public sealed record ObjectionRecorded(ObjectionId Objection, ClientId Client, SharingScope Scope, ActedBy By, DateTimeOffset At);

public static class Recording
{
    public const string Action = "objection.record";

    /// <summary>The use case every door hands to the client's write pipeline; a scope the door could not read is refused after the policy.</summary>
    public static ClientUseCase<ObjectionRecorded> UseCase(ClientId client, ObjectionId objection, Result<SharingScope> scope, Actor by) =>
        new(client, Action, (sharing, partnership, now) => scope.Bind(named => Decide(sharing, new RecordObjection(client, objection, named), by, partnership, now)));

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
