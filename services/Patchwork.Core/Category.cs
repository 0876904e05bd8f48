using System.Text.Json.Serialization;

namespace Patchwork.Core;

/// <summary>
/// What an involvement is about: <see cref="General"/> or a named category, which is sensitive when its
/// disclosure alone would say something intimate about the client. Two categories are the same category
/// when their names match ignoring case, whatever flag a copy carries.
/// </summary>
public sealed record Category
{
    public const int MaxNameLength = 60;

    [JsonConstructor]
    private Category(string name, bool isSensitive)
    {
        Name = name;
        IsSensitive = isSensitive;
    }

    public string Name { get; }

    public bool IsSensitive { get; }

    public static Category General { get; } = new("general", false);

    public static Category SexualHealth { get; } = new("sexual health", true);

    public static Category SubstanceMisuse { get; } = new("substance misuse", true);

    public static Category MentalHealth { get; } = new("mental health", true);

    public static Category DomesticAbuseSupport { get; } = new("domestic abuse support", true);

    /// <summary>The categories every partnership starts with.</summary>
    public static IReadOnlyList<Category> WellKnown { get; } = [General, SexualHealth, SubstanceMisuse, MentalHealth, DomesticAbuseSupport];

    public static Result<Category> Named(string name, bool isSensitive)
    {
        var trimmed = string.Join(' ', (name ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        return trimmed.Length == 0 ? Problem.Invalid("category", "a category needs a name")
            : trimmed.Length > MaxNameLength ? Problem.Invalid("category", $"a category name has at most {MaxNameLength} characters")
            : Text.Plain(trimmed, "category") is { } notPlain ? notPlain
            : new Category(trimmed.ToLowerInvariant(), isSensitive);
    }

    public bool Equals(Category? other) => other is not null && string.Equals(Name, other.Name, StringComparison.OrdinalIgnoreCase);

    public override int GetHashCode() => StringComparer.OrdinalIgnoreCase.GetHashCode(Name);

    public override string ToString() => Name;
}
