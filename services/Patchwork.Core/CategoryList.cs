using System.Collections.Immutable;

namespace Patchwork.Core;

/// <summary>The partnership's categories; administrators add to it, and it decides which are sensitive.</summary>
public sealed record CategoryList(ImmutableDictionary<string, Category> ByName)
{
    public static CategoryList WellKnown { get; } = new(Category.WellKnown.ToImmutableDictionary(c => c.Name, StringComparer.OrdinalIgnoreCase));

    public Category? Find(string name) => ByName.GetValueOrDefault(name);

    public bool Contains(Category category) => ByName.ContainsKey(category.Name);

    /// <summary>Sensitive if either the list or the recorded copy says so: a stale copy must never weaken protection.</summary>
    public bool IsSensitive(Category category) => category.IsSensitive || (Find(category.Name)?.IsSensitive ?? false);

    public CategoryList With(Category category) => new(ByName.SetItem(category.Name, category));
}
