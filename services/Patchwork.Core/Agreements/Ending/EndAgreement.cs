using Patchwork.EventStore;

namespace Patchwork.Core.Agreements;

public sealed record EndAgreement(AgreementId Agreement);

/// <summary>Ends the agreement at once, before its last day; what it shared stops flowing at the next read.</summary>
[EventName(EventNames.AgreementEnded)]
public sealed record AgreementEnded(AgreementId Agreement, ActedBy By, DateTimeOffset At);

public static class Ending
{
    public const string Action = "agreement.end";

    /// <summary>
    /// The use case every door hands to the partnership's write pipeline. An agreement's stream holds the one event that made
    /// it until it is ended, so it is appended to at that version: two administrators ending it at once append once (Marten's
    /// expected version is the stream's version after the append).
    /// </summary>
    public static PartnershipUseCase<AgreementEnded> UseCase(EndAgreement command, Actor by) =>
        new(Action, (partnership, now) => Decide(partnership, command, by, now), (events, ended) => events.Append(ended.Agreement.Value, 2, ended),
            ended => "PartnershipAdmin:" + ended.Agreement.Value);

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
