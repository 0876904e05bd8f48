using Patchwork.EventStore;

namespace Patchwork.Core.Involvements;

/// <summary>
/// Marks a sensitive involvement undisclosed (a refuge worker, say) or disclosed again. Undisclosed, not even a
/// masked entry shows; only the own-organisation and break-glass rules reveal it. Only its practitioner decides.
/// </summary>
public sealed record WithholdInvolvement(ClientId Client, InvolvementId Involvement, bool Undisclosed);

[EventName(EventNames.InvolvementWithheld)]
public sealed record InvolvementWithheld(InvolvementId Involvement, ClientId Client, bool Undisclosed, ActedBy By, DateTimeOffset At);

public static class Withholding
{
    public static Result<InvolvementWithheld> Decide(ClientSharing client, WithholdInvolvement command, Actor by, CategoryList categories, DateTimeOffset now)
    {
        if (!client.Involvements.TryGetValue(command.Involvement, out var involvement))
        {
            return Problem.NotFound("no such involvement with this client");
        }

        var problem =
            (by is not Actor.Practitioner p || p.Id != involvement.Practitioner
                ? Problem.Forbidden("only the involved practitioner decides whether their involvement is disclosed") : null)
            ?? (!categories.IsSensitive(involvement.Category) ? Problem.Invalid("undisclosed", "only a sensitive involvement can be undisclosed") : null)
            ?? (involvement.Undisclosed == command.Undisclosed ? Problem.Conflict("the involvement is already so marked") : null);
        return problem ?? (Result<InvolvementWithheld>)new InvolvementWithheld(involvement.Id, client.Client, command.Undisclosed, ActedBy.From(by), now);
    }
}
