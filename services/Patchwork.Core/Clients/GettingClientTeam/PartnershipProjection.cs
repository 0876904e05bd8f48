using Npgsql;
using NpgsqlTypes;
using Patchwork.EventStore;

namespace Patchwork.Core.Clients;

/// <summary>Keeps the partnership's organisations, agreements and categories in one row, for readers to cache by version.</summary>
public sealed class PartnershipProjection : IInlineProjection
{
    private readonly EventLog _log;
    private readonly string _table;

    public PartnershipProjection(EventStoreOptions store)
    {
        ArgumentNullException.ThrowIfNull(store);
        _log = new EventLog(store);
        _table = CoreSchema.Quote(store.Schema) + ".partnership";
    }

    public string Name => "partnership";

    public IReadOnlySet<string> EventNames { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        Core.EventNames.OrganisationRegistered, Core.EventNames.AgreementMade, Core.EventNames.AgreementEnded, Core.EventNames.CategoryAdded,
        Core.EventNames.PractitionerRegistered,
    };

    public async Task ApplyAsync(ProjectionContext context, IReadOnlyList<RecordedEvent> events, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(events);
        await using var upsert = new NpgsqlCommand(
            $"INSERT INTO {_table} AS t (id, events, version) VALUES (1, @events, @count) " +
            "ON CONFLICT (id) DO UPDATE SET events = t.events || excluded.events, version = t.version + excluded.version",
            context.Connection, context.Transaction);
        upsert.Parameters.Add(new NpgsqlParameter("events", NpgsqlDbType.Jsonb) { Value = _log.ToJsonArray(events.OrderBy(e => e.Sequence)) });
        upsert.Parameters.AddWithValue("count", (long)events.Count);
        await upsert.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task ResetAsync(ProjectionContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        await using var truncate = new NpgsqlCommand($"TRUNCATE {_table}", context.Connection, context.Transaction);
        await truncate.ExecuteNonQueryAsync(cancellationToken);
    }
}
