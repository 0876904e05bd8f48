using System.Collections.Immutable;

namespace Patchwork.Core;

/// <summary>
/// Which categories a consent or an agreement covers. General (every non-sensitive category) is covered
/// unless excluded; a sensitive category only when it is named, so silence never shares anything intimate.
/// </summary>
public sealed record CategoryScope(bool IncludesGeneral, ImmutableHashSet<Category> Named)
{
    public static CategoryScope GeneralOnly { get; } = new(true, []);

    public static CategoryScope GeneralAnd(params Category[] named) => new(true, [.. named]);

    public static CategoryScope Only(params Category[] named) => new(false, [.. named]);

    public bool IsEmpty => !IncludesGeneral && Named.IsEmpty;

    /// <summary>The scope a door's fields name: general or not, and sensitive categories by their names in the partnership's list.</summary>
    public static Result<CategoryScope> Naming(bool includesGeneral, IEnumerable<string?>? named, CategoryList categories)
    {
        ArgumentNullException.ThrowIfNull(categories);
        var found = new List<Category>();
        foreach (var name in named ?? [])
        {
            if (categories.Find(name ?? "") is not { } category) return Problem.Invalid("categories", $"'{name}' is not one of the partnership's categories");
            found.Add(category);
        }
        return new CategoryScope(includesGeneral, [.. found]);
    }

    public bool Covers(Category category, bool isSensitive) =>
        Named.Contains(category) || (!isSensitive && IncludesGeneral);

    public bool Equals(CategoryScope? other) =>
        other is not null && IncludesGeneral == other.IncludesGeneral && Named.SetEquals(other.Named);

    public override int GetHashCode() => HashCode.Combine(IncludesGeneral, Named.Count);
}
