using Patchwork.EventStore;

namespace Patchwork.Core.Agreements;

public sealed record EndAgreement(AgreementId Agreement);

/// <summary>Ends the agreement at once, before its last day; what it shared stops flowing at the next read.</summary>
[EventName(EventNames.AgreementEnded)]
public sealed record AgreementEnded(AgreementId Agreement, ActedBy By, DateTimeOffset At);

public static class Ending
{
    public static Result<AgreementEnded> Decide(Partnership partnership, EndAgreement command, Actor by, DateTimeOffset now)
    {
        if (!partnership.Agreements.TryGetValue(command.Agreement, out var agreement))
        {
            return Problem.NotFound("no such sharing agreement");
        }

        var problem =
            (by is not Actor.Practitioner admin || !admin.Holds(Roles.PartnershipAdmin)
                ? Problem.Forbidden("only a partnership administrator may end a sharing agreement") : null)
            ?? (agreement.EndedAt is not null || agreement.End < Calendar.Today(now) ? Problem.Conflict("the agreement has already ended") : null);
        return problem ?? (Result<AgreementEnded>)new AgreementEnded(agreement.Id, ActedBy.From(by), now);
    }
}
