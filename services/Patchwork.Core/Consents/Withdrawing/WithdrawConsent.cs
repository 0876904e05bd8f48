using Patchwork.Core.Clients;
using Patchwork.EventStore;

namespace Patchwork.Core.Consents;

public sealed record WithdrawConsent(ClientId Client, ConsentId Consent);

[EventName(EventNames.ConsentWithdrawn)]
public sealed record ConsentWithdrawn(ConsentId Consent, ClientId Client, ActedBy By, DateTimeOffset At);

/// <summary>A client may tell any agency in their team that they withdraw; it takes effect at the next read.</summary>
public static class Withdrawing
{
    public const string Action = "consent.withdraw";

    /// <summary>The use case every door hands to the client's write pipeline.</summary>
    public static ClientUseCase<ConsentWithdrawn> UseCase(WithdrawConsent command, Actor by) =>
        new(command.Client, Action, (client, _, now) => Decide(client, command, by, now));

    public static Result<ConsentWithdrawn> Decide(ClientSharing client, WithdrawConsent command, Actor by, DateTimeOffset now)
    {
        if (!client.Consents.TryGetValue(command.Consent, out var consent))
        {
            return Problem.NotFound("no such consent for this client");
        }

        var problem =
            TeamMembership.CheckOrganisationInvolved(client, by)
            ?? (consent.WithdrawnAt is not null ? Problem.Conflict("the consent has already been withdrawn") : null);
        return problem ?? (Result<ConsentWithdrawn>)new ConsentWithdrawn(consent.Id, client.Client, ActedBy.From(by), now);
    }
}
