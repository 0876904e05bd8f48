using Patchwork.Core.Clients;
using Patchwork.EventStore;

namespace Patchwork.Core.SharingWithoutConsent;

public sealed record ApproveSharingWithoutConsent(ClientId Client, SharingWithoutConsentId Basis);

[EventName(EventNames.SharingWithoutConsentApproved)]
public sealed record SharingWithoutConsentApproved(SharingWithoutConsentId Basis, ClientId Client, ActedBy By, DateTimeOffset At);

/// <summary>
/// Approval is a second pair of eyes from the requester's own line: a manager of the requesting organisation
/// who is not the requester. Another agency's manager cannot answer for a decision they did not supervise.
/// </summary>
public static class Approving
{
    public const string Action = "sharing-without-consent.approve";

    /// <summary>The use case every door hands to the client's write pipeline.</summary>
    public static ClientUseCase<SharingWithoutConsentApproved> UseCase(ApproveSharingWithoutConsent command, Actor by) =>
        new(command.Client, Action, (client, _, now) => Decide(client, command, by, now));

    public static Result<SharingWithoutConsentApproved> Decide(ClientSharing client, ApproveSharingWithoutConsent command, Actor by, DateTimeOffset now)
    {
        if (!client.SharingWithoutConsent.TryGetValue(command.Basis, out var basis))
        {
            return Problem.NotFound("no such request to share without consent for this client");
        }

        var problem =
            (by is not Actor.Practitioner manager || !manager.Holds(Roles.Manager)
                ? Problem.Forbidden("only a manager may approve sharing without consent") : null)
            ?? (by.Organisation != basis.RequestedBy.Organisation
                ? Problem.Forbidden("only a manager of the requesting organisation may approve it") : null)
            ?? (by is Actor.Practitioner me && me.Id == basis.RequestedBy.Practitioner
                ? Problem.Forbidden("the requester cannot approve their own request") : null)
            ?? (basis.ApprovedAt is not null ? Problem.Conflict("the request is already approved") : null)
            ?? (basis.ExpiresAt <= now ? Problem.Conflict("the request has expired; request it afresh") : null);
        return problem ?? (Result<SharingWithoutConsentApproved>)new SharingWithoutConsentApproved(basis.Id, client.Client, ActedBy.From(by), now);
    }
}
