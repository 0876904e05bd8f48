using Patchwork.Core.Clients;
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
/// DESIGN §3 rule 7: a practitioner on the client's team (or a partner system of an organisation on it) records the
/// client's consent; a consent naming a sensitive category only by the organisation whose active involvement is in that
/// category — it is that service's relationship with the person, and another agency must not unmask it. An objection in
/// force still wins over a later consent until it is withdrawn: the client's "no" is never overridden by paperwork order.
/// </summary>
public static class Recording
{
    public const string Action = "consent.record";

    /// <summary>
    /// The command from a door's fields (a body, a form): the scope it could read, the categories it names (null: none given),
    /// and evidence, each refused as the field it is when missing.
    /// </summary>
    public static Result<RecordConsent> Command(ClientId client, ConsentId consent, Result<SharingScope>? scope, (bool IncludesGeneral, IEnumerable<string?>? Named)? categories,
        ConsentGiver givenBy, ConsentEvidence? evidence, DateTimeOffset? expiresAt, CategoryList partnershipCategories)
    {
        if (scope is null) return Problem.Invalid("scope", "name an organisation or a sector");
        if (categories is not { } named) return Problem.Invalid("categories", "a consent must cover at least one category");
        if (evidence is null) return Problem.Invalid("evidence", "is required");
        return scope.Bind(sharing => CategoryScope.Naming(named.IncludesGeneral, named.Named, partnershipCategories).Bind(covered =>
            (Result<RecordConsent>)new RecordConsent(client, consent, sharing, covered, givenBy, evidence, expiresAt)));
    }

    /// <summary>The use case every door hands to the client's write pipeline; the command's categories are named in the partnership's list.</summary>
    public static ClientUseCase<ConsentRecorded> UseCase(ClientId client, Func<CategoryList, Result<RecordConsent>> command, Actor by) =>
        new(client, Action, (sharing, partnership, now) => command(partnership.Categories).Bind(recorded => Decide(sharing, recorded, by, partnership, now)));

    public const int MaxReferenceLength = 100;

    public static Result<ConsentRecorded> Decide(ClientSharing client, RecordConsent command, Actor by, Partnership partnership, DateTimeOffset now)
    {
        var problem =
            client.Consents.ContainsKey(command.Consent) ? Problem.Conflict("this consent is already recorded")
            : command.Client != client.Client ? Problem.Invalid("client", "does not match the client's record")
            : TeamMembership.CheckActorInvolved(client, by)
            ?? (command.Scope is null ? Problem.Invalid("scope", "name an organisation or a sector") : null)
            ?? (command.Scope?.Organisation is { } named && !partnership.Organisations.ContainsKey(named)
                ? Problem.Invalid("scope", "names an organisation outside the partnership") : null)
            ?? (command.Categories is null || command.Categories.IsEmpty ? Problem.Invalid("categories", "a consent must cover at least one category") : null)
            ?? (command.Categories!.Named.FirstOrDefault(c => !partnership.Categories.Contains(c)) is { } unknown
                ? Problem.Invalid("categories", $"'{unknown}' is not one of the partnership's categories") : null)
            ?? (command.Categories!.Named.FirstOrDefault(c => partnership.Categories.IsSensitive(c) && !HoldsInvolvementIn(client, by.Organisation, c)) is { } sensitive
                ? Problem.Forbidden($"only the organisation whose involvement is in '{sensitive.Name}' may record consent to share it") : null)
            ?? (command.Evidence is null ? Problem.Invalid("evidence", "is required") : Text.Optional(command.Evidence.Reference, "evidence", MaxReferenceLength))
            ?? (command.ExpiresAt is { } expiry && expiry <= now ? Problem.Invalid("expiresAt", "must be in the future") : null);
        return problem ?? (Result<ConsentRecorded>)new ConsentRecorded(
            command.Consent, client.Client, command.Scope!, command.Categories!, command.GivenBy, command.Evidence!, command.ExpiresAt,
            ActedBy.From(by), now);
    }

    private static bool HoldsInvolvementIn(ClientSharing client, OrganisationId organisation, Category category) =>
        client.Involvements.Values.Any(i => i.Organisation == organisation && i.IsActive && i.Category == category);
}
