using System.Collections.Immutable;
using Patchwork.EventStore;

namespace Patchwork.Core.Agreements;

public sealed record MakeAgreement(AgreementId Agreement, string Name, ImmutableHashSet<OrganisationId> Members, CategoryScope Categories, DateOnly Start, DateOnly? End);

[EventName(EventNames.AgreementMade)]
public sealed record AgreementMade(AgreementId Agreement, string Name, ImmutableHashSet<OrganisationId> Members, CategoryScope Categories, DateOnly Start, DateOnly? End, ActedBy By, DateTimeOffset At);

/// <summary>Agreements are made by a partnership administrator on behalf of the signatories.</summary>
public static class Making
{
    public const int MaxNameLength = 200;

    public const string Action = "agreement.make";

    /// <summary>
    /// The use case every door hands to the partnership's write pipeline: the agreement's stream starts with it. The door's
    /// command names its categories, which are looked up in the partnership's list as it stands under the lock.
    /// </summary>
    public static PartnershipUseCase<AgreementMade> UseCase(Func<CategoryList, Result<MakeAgreement>> command, Actor by) =>
        new(Action, (partnership, now) => command(partnership.Categories).Bind(make => Decide(partnership, make, by, now)),
            (events, made) => events.StartStream(made.Agreement.Value, made), made => "PartnershipAdmin:" + made.Agreement.Value);

    /// <summary>
    /// The command from a door's fields: categories (null: none given) named in the partnership's list, and a first day, each
    /// refused as the field it is when missing.
    /// </summary>
    public static Result<MakeAgreement> Command(AgreementId agreement, string? name, IEnumerable<Guid>? members,
        (bool IncludesGeneral, IEnumerable<string?>? Named)? categories, DateOnly? start, DateOnly? end, CategoryList partnershipCategories)
    {
        if (categories is not { } named) return Problem.Invalid("categories", "give the categories the agreement covers");
        return CategoryScope.Naming(named.IncludesGeneral, named.Named, partnershipCategories).Bind(covered =>
            start is not { } first ? Problem.Invalid("start", "give the agreement's first day")
            : (Result<MakeAgreement>)new MakeAgreement(agreement, name ?? "", (members ?? []).Select(m => new OrganisationId(m)).ToImmutableHashSet(), covered, first, end));
    }

    public static Result<AgreementMade> Decide(Partnership partnership, MakeAgreement command, Actor by, DateTimeOffset now)
    {
        var problem =
            (by is not Actor.Practitioner admin || !admin.Holds(Roles.PartnershipAdmin)
                ? Problem.Forbidden("only a partnership administrator may make a sharing agreement") : null)
            ?? (partnership.Agreements.ContainsKey(command.Agreement) ? Problem.Conflict("this agreement is already made") : null)
            ?? Text.Required(command.Name, "name", MaxNameLength)
            ?? (command.Members is null || command.Members.Count < 2 ? Problem.Invalid("members", "an agreement needs at least two organisations") : null)
            ?? (command.Members!.Where(m => !partnership.Organisations.ContainsKey(m)).Select(m => (OrganisationId?)m).FirstOrDefault() is { } unknown
                ? Problem.Invalid("members", $"organisation {unknown} is not registered in the partnership") : null)
            ?? (command.Categories is null || command.Categories.IsEmpty ? Problem.Invalid("categories", "an agreement must cover at least one category") : null)
            ?? (command.Categories!.Named.FirstOrDefault(c => !partnership.Categories.Contains(c)) is { } category
                ? Problem.Invalid("categories", $"'{category}' is not one of the partnership's categories") : null)
            ?? (command.End is { } end && end < command.Start ? Problem.Invalid("end", "cannot be before the start") : null)
            ?? (command.End is { } last && last < Calendar.Today(now) ? Problem.Invalid("end", "cannot be in the past") : null);
        return problem ?? (Result<AgreementMade>)new AgreementMade(
            command.Agreement, command.Name.Trim(), command.Members!, command.Categories!, command.Start, command.End, ActedBy.From(by), now);
    }
}
