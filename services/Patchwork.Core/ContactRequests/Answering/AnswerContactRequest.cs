using Patchwork.Core.Clients;
using Patchwork.EventStore;

namespace Patchwork.Core.ContactRequests;

public sealed record AnswerContactRequest(ClientId Client, ContactRequestId Request, ContactAnswer Answer);

/// <summary>Accepted, the involvement becomes visible to the requester alone (rule <c>RevealedContact</c>) while they remain in the team.</summary>
[EventName(EventNames.ContactRequestAnswered)]
public sealed record ContactRequestAnswered(ContactRequestId Request, ClientId Client, InvolvementId Involvement, PractitionerId Requester, ContactAnswer Answer, ActedBy By, DateTimeOffset At);

/// <summary>Only the sensitive practitioner decides whether to reveal themselves; not their manager, not a partner system.</summary>
public static class Answering
{
    public const string Action = "contact.answer";

    /// <summary>The use case every door hands to the client's write pipeline.</summary>
    public static ClientUseCase<ContactRequestAnswered> UseCase(AnswerContactRequest command, Actor by) =>
        new(command.Client, Action, (client, _, now) => Decide(client, command, by, now));

    public static Result<ContactRequestAnswered> Decide(ClientSharing client, AnswerContactRequest command, Actor by, DateTimeOffset now)
    {
        if (!client.ContactRequests.TryGetValue(command.Request, out var request) || !client.Involvements.TryGetValue(request.Involvement, out var involvement))
        {
            return Problem.NotFound("no such contact request for this client");
        }

        var problem =
            (by is not Actor.Practitioner p || p.Id != involvement.Practitioner || p.Organisation != involvement.Organisation
                ? Problem.Forbidden("only the practitioner of the involvement may answer") : null)
            ?? (!Enum.IsDefined(command.Answer) ? Problem.Invalid("answer", "accept or decline") : null)
            ?? (request.Answer is not null ? Problem.Conflict("the request has already been answered") : null);
        return problem ?? (Result<ContactRequestAnswered>)new ContactRequestAnswered(
            request.Id, client.Client, involvement.Id, request.Requester, command.Answer, ActedBy.From(by), now);
    }
}
