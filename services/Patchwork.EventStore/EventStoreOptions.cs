namespace Patchwork.EventStore;

/// <summary>Where the store keeps its tables.</summary>
public sealed class EventStoreOptions
{
    /// <summary>The PostgreSQL schema that holds the store's tables; each test class uses its own.</summary>
    public string Schema { get; set; } = "patchwork";
}
