using Patchwork.EventStore;

namespace Patchwork.Core.Objections;

public sealed record WithdrawObjection(ClientId Client, ObjectionId Objection);

[EventName(EventNames.ObjectionWithdrawn)]
public sealed record ObjectionWithdrawn(ObjectionId Objection, ClientId Client, ActedBy By, DateTimeOffset At);

public static class Withdrawing
{
    public static Result<ObjectionWithdrawn> Decide(ClientSharing client, WithdrawObjection command, Actor by, DateTimeOffset now)
    {
        if (!client.Objections.TryGetValue(command.Objection, out var objection))
        {
            return Problem.NotFound("no such objection for this client");
        }

        var problem =
            TeamMembership.CheckOrganisationInvolved(client, by)
            ?? (objection.WithdrawnAt is not null ? Problem.Conflict("the objection has already been withdrawn") : null);
        return problem ?? (Result<ObjectionWithdrawn>)new ObjectionWithdrawn(objection.Id, client.Client, ActedBy.From(by), now);
    }
}
