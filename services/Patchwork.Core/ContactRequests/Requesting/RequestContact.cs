using Patchwork.Core.Clients;
using Patchwork.Core.Access;
using Patchwork.EventStore;

namespace Patchwork.Core.ContactRequests;

/// <summary>Asks the practitioner behind a masked entry to make contact; the requester knows only the handle.</summary>
public sealed record RequestContact(ClientId Client, ContactRequestId Request, MaskedHandle Handle);

/// <summary>
/// Names the involvement so its practitioner can be told; it is internal to the log, and whatever notifies the
/// requester must never copy the involvement id into their notice.
/// </summary>
[EventName(EventNames.ContactRequested)]
public sealed record ContactRequested(ContactRequestId Request, ClientId Client, InvolvementId Involvement, PractitionerId Requester, OrganisationId RequesterOrganisation, DateTimeOffset At);

public static class Requesting
{
    public const string Action = "contact.request";

    /// <summary>The use case every door hands to the client's write pipeline.</summary>
    public static ClientUseCase<ContactRequested> UseCase(ClientId client, ContactRequestId request, string? handle, Actor by, PolicyOptions options) =>
        new(client, Action, (sharing, partnership, now) => string.IsNullOrWhiteSpace(handle) ? Problem.Invalid("handle", "is required")
            : Decide(sharing, new RequestContact(client, request, new MaskedHandle(handle)), by, partnership, options, now));

    public static Result<ContactRequested> Decide(ClientSharing client, RequestContact command, Actor by, Partnership partnership, PolicyOptions options, DateTimeOffset now)
    {
        if (by is not Actor.Practitioner requester)
        {
            return Problem.Forbidden("only a practitioner may request contact");
        }

        if (client.ContactRequests.ContainsKey(command.Request))
        {
            return Problem.Conflict("this contact request is already recorded");
        }

        // The same answer whether the handle never existed or is no longer masked for this viewer: nothing to probe.
        var viewer = Viewer.ForPractitioner(requester.Id, requester.Organisation);
        if (AccessPolicy.Unmask(client, partnership, viewer, command.Handle, now, options) is not { } involvement)
        {
            return Problem.NotFound("no masked entry with this handle");
        }

        return client.ContactRequests.Values.Any(r => r.Involvement == involvement && r.Requester == requester.Id && r.Answer is null)
            ? Problem.Conflict("you have already asked; wait for the answer")
            : new ContactRequested(command.Request, client.Client, involvement, requester.Id, requester.Organisation, now);
    }
}
