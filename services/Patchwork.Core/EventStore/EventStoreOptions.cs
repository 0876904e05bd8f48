using System.Text.Json;

namespace Patchwork.EventStore;

/// <summary>Where the store keeps its tables, how it reaches them, and what runs inside each append.</summary>
public sealed class EventStoreOptions
{
    /// <summary>The PostgreSQL schema that holds the store's tables; each test class uses its own.</summary>
    public string Schema { get; set; } = "patchwork";

    /// <summary>Connection string of the application role, which may insert and read events only.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>Connection string of the owner role; when set, the schema is migrated as the host starts.</summary>
    public string? MigrationConnectionString { get; set; }

    /// <summary>The role granted use of the tables; the user of <see cref="ConnectionString"/> when unset.</summary>
    public string? ApplicationRole { get; set; }

    /// <summary>The one serializer configuration for event data.</summary>
    public JsonSerializerOptions Json { get; } = new(JsonSerializerDefaults.Web);

    public EventTypes Events { get; } = new();

    /// <summary>
    /// What a module adds to Marten's configuration (its projections and documents), applied to every store built from
    /// these options: the application's, each subscription's and the owner's migrating one, so all agree on the schema.
    /// </summary>
    public IList<Action<Marten.StoreOptions>> ConfigureMarten { get; } = [];

    /// <summary>
    /// Event types whose appends must be serialised, each with the name of what they update together: an inline
    /// projection that folds events of many streams into one document (the partnership) would otherwise lose an update
    /// when two transactions load the document before either writes it. A session saving any of these events first takes
    /// a transaction-scoped advisory lock on the name, in order with its streams' locks.
    /// </summary>
    public IDictionary<Type, string> SerialisedAppends { get; } = new Dictionary<Type, string>();

    /// <summary>Serialises every append of <paramref name="eventTypes"/> under <paramref name="name"/> (see <see cref="SerialisedAppends"/>).</summary>
    public EventStoreOptions SerialiseAppendsOf(string name, params IEnumerable<Type> eventTypes)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(eventTypes);
        foreach (var type in eventTypes) SerialisedAppends[type] = name;
        return this;
    }

    internal string ResolveApplicationRole() =>
        ApplicationRole
        ?? (ConnectionString is { } connectionString ? new Npgsql.NpgsqlConnectionStringBuilder(connectionString).Username : null)
        ?? throw new InvalidOperationException("Set EventStoreOptions.ApplicationRole or ConnectionString: migrations grant that role its privileges.");
}
