using System.Collections.Immutable;

namespace Patchwork.Core.Agreements;

/// <summary>
/// An information sharing agreement. It is active from its first day to its last day inclusive (open-ended when
/// it has none), and not after it was ended early. Outside an active agreement nothing flows between two members.
/// </summary>
public sealed record SharingAgreement(
    AgreementId Id,
    string Name,
    ImmutableHashSet<OrganisationId> Members,
    CategoryScope Categories,
    DateOnly Start,
    DateOnly? End,
    DateTimeOffset? EndedAt)
{
    public bool IsActive(DateTimeOffset now)
    {
        var today = Calendar.Today(now);
        return Start <= today && (End is null || today <= End) && (EndedAt is null || now < EndedAt);
    }

    public bool Joins(OrganisationId one, OrganisationId other) => Members.Contains(one) && Members.Contains(other);

    public static SharingAgreement From(AgreementMade made) =>
        new(made.Agreement, made.Name, made.Members, made.Categories, made.Start, made.End, null);
}
