namespace Patchwork.EventStore;

/// <summary>The stream version a writer decided against: any, none yet (a new stream), or exactly one.</summary>
public readonly record struct ExpectedVersion
{
    private ExpectedVersion(long? value) => Value = value;

    /// <summary>The version, or null when any version will do.</summary>
    public long? Value { get; }

    public static ExpectedVersion Any { get; } = new(null);

    /// <summary>The stream must not exist yet.</summary>
    public static ExpectedVersion NoStream { get; } = new(0);

    public static ExpectedVersion Exactly(long version) =>
        version >= 0 ? new(version) : throw new ArgumentOutOfRangeException(nameof(version), version, "versions start at 0");

    public static implicit operator ExpectedVersion(long version) => Exactly(version);

    public static ExpectedVersion FromInt64(long version) => Exactly(version);

    public override string ToString() => Value is { } v ? v.ToString(System.Globalization.CultureInfo.InvariantCulture) : "any";
}
