using Patchwork.EventStore;

namespace Patchwork.Core.Consents;

public sealed record RecordConsent(
    ClientId Client,
    ConsentId Consent,
    SharingScope Scope,
    CategoryScope Categories,
    ConsentGiver GivenBy,
    ConsentEvidence Evidence,
    DateTimeOffset? ExpiresAt);

[EventName(EventNames.ConsentRecorded)]
public sealed record ConsentRecorded(
    ConsentId Consent,
    ClientId Client,
    SharingScope Scope,
    CategoryScope Categories,
    ConsentGiver GivenBy,
    ConsentEvidence Evidence,
    DateTimeOffset? ExpiresAt,
    ActedBy By,
    DateTimeOffset At);

/// <summary>
/// Any organisation in the client's team may record the client's consent. An objection in force still wins
/// over a later consent until it is withdrawn: the client's "no" is never overridden by paperwork order.
/// </summary>
public static class Recording
{
    public const int MaxReferenceLength = 100;

    public static Result<ConsentRecorded> Decide(ClientSharing client, RecordConsent command, Actor by, Partnership partnership, DateTimeOffset now)
    {
        var problem =
            client.Consents.ContainsKey(command.Consent) ? Problem.Conflict("this consent is already recorded")
            : command.Client != client.Client ? Problem.Invalid("client", "does not match the client's record")
            : TeamMembership.CheckOrganisationInvolved(client, by)
            ?? (command.Scope is null ? Problem.Invalid("scope", "name an organisation or a sector") : null)
            ?? (command.Scope?.Organisation is { } named && !partnership.Organisations.ContainsKey(named)
                ? Problem.Invalid("scope", "names an organisation outside the partnership") : null)
            ?? (command.Categories is null || command.Categories.IsEmpty ? Problem.Invalid("categories", "a consent must cover at least one category") : null)
            ?? (command.Categories!.Named.FirstOrDefault(c => !partnership.Categories.Contains(c)) is { } unknown
                ? Problem.Invalid("categories", $"'{unknown}' is not one of the partnership's categories") : null)
            ?? (command.Evidence is null ? Problem.Invalid("evidence", "is required") : Text.Optional(command.Evidence.Reference, "evidence", MaxReferenceLength))
            ?? (command.ExpiresAt is { } expiry && expiry <= now ? Problem.Invalid("expiresAt", "must be in the future") : null);
        return problem ?? (Result<ConsentRecorded>)new ConsentRecorded(
            command.Consent, client.Client, command.Scope!, command.Categories!, command.GivenBy, command.Evidence!, command.ExpiresAt,
            ActedBy.From(by), now);
    }
}
