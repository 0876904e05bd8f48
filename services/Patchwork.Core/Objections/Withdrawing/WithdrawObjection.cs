using Patchwork.Core.Clients;
using Patchwork.EventStore;

namespace Patchwork.Core.Objections;

public sealed record WithdrawObjection(ClientId Client, ObjectionId Objection);

[EventName(EventNames.ObjectionWithdrawn)]
public sealed record ObjectionWithdrawn(ObjectionId Objection, ClientId Client, ActedBy By, DateTimeOffset At);

/// <summary>
/// DESIGN §3 rule 8: only the organisation that recorded the objection withdraws it — never an organisation it names,
/// which would otherwise lift the client's "no" to itself.
/// </summary>
public static class Withdrawing
{
    public const string Action = "objection.withdraw";

    /// <summary>The use case every door hands to the client's write pipeline.</summary>
    public static ClientUseCase<ObjectionWithdrawn> UseCase(WithdrawObjection command, Actor by) =>
        new(command.Client, Action, (client, partnership, now) => Decide(client, command, by, partnership, now));

    public static Result<ObjectionWithdrawn> Decide(ClientSharing client, WithdrawObjection command, Actor by, Partnership partnership, DateTimeOffset now)
    {
        if (!client.Objections.TryGetValue(command.Objection, out var objection))
        {
            return Problem.NotFound("no such objection for this client");
        }

        var problem =
            TeamMembership.CheckOrganisationInvolved(client, by)
            ?? (objection.RecordedBy != by.Organisation || objection.Scope.Names(by.Organisation, partnership.SectorOf(by.Organisation))
                ? Problem.Forbidden("only the organisation that recorded the objection, and is not named by it, may withdraw it") : null)
            ?? (objection.WithdrawnAt is not null ? Problem.Conflict("the objection has already been withdrawn") : null);
        return problem ?? (Result<ObjectionWithdrawn>)new ObjectionWithdrawn(objection.Id, client.Client, ActedBy.From(by), now);
    }
}
