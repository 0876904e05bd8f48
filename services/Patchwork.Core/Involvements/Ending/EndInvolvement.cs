using Patchwork.Core.Clients;
using Patchwork.EventStore;

namespace Patchwork.Core.Involvements;

/// <summary>Ends an involvement; the practitioner leaves the client's team at once (DESIGN.md §3, refinement 5).</summary>
public sealed record EndInvolvement(ClientId Client, InvolvementId Involvement, DateOnly End);

[EventName(EventNames.InvolvementEnded)]
public sealed record InvolvementEnded(InvolvementId Involvement, ClientId Client, DateOnly End, ActedBy By, DateTimeOffset At);

public static class Ending
{
    public const string Action = "involvement.end";

    /// <summary>
    /// The use case every door hands to the client's write pipeline: the involvement must be one the actor sees; with no end
    /// date it ends today.
    /// </summary>
    public static ClientUseCase<InvolvementEnded> UseCase(ClientId client, InvolvementId involvement, DateOnly? end, Actor by) =>
        new(client, Action, (sharing, _, now) => Decide(sharing, new EndInvolvement(client, involvement, end ?? Calendar.Today(now)), by, now))
        {
            Involvement = involvement,
        };

    public static Result<InvolvementEnded> Decide(ClientSharing client, EndInvolvement command, Actor by, DateTimeOffset now)
    {
        if (!client.Involvements.TryGetValue(command.Involvement, out var involvement))
        {
            return Problem.NotFound("no such involvement with this client");
        }

        var problem =
            Involvement.CheckMayChange(involvement, by)
            ?? (!involvement.IsActive ? Problem.Conflict("the involvement has already ended") : null)
            ?? (command.End < involvement.Start ? Problem.Invalid("end", "cannot be before the start") : null)
            ?? (command.End > Calendar.Today(now) ? Problem.Invalid("end", "cannot be in the future") : null);
        return problem ?? (Result<InvolvementEnded>)new InvolvementEnded(involvement.Id, client.Client, command.End, ActedBy.From(by), now);
    }
}
