using Npgsql;
using NpgsqlTypes;
using Patchwork.EventStore;

namespace Patchwork.Core.Clients;

/// <summary>
/// Keeps each client's sharing events in one <c>client_team</c> row, appended in the same transaction as the
/// events. A client's events live on the client's stream, so the stream id is the client id.
/// </summary>
public sealed class ClientTeamProjection : IInlineProjection
{
    private readonly EventLog _log;
    private readonly string _table;

    public ClientTeamProjection(EventStoreOptions store)
    {
        ArgumentNullException.ThrowIfNull(store);
        _log = new EventLog(store);
        _table = CoreSchema.Quote(store.Schema) + ".client_team";
    }

    public string Name => "client-team";

    public IReadOnlySet<string> EventNames { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        Core.EventNames.InvolvementRecorded, Core.EventNames.InvolvementEnded, Core.EventNames.InvolvementRoleOrContactChanged,
        Core.EventNames.InvolvementWithheld, Core.EventNames.ConsentRecorded, Core.EventNames.ConsentWithdrawn,
        Core.EventNames.ObjectionRecorded, Core.EventNames.ObjectionWithdrawn, Core.EventNames.SharingWithoutConsentRequested,
        Core.EventNames.SharingWithoutConsentApproved, Core.EventNames.BreakGlassGranted, Core.EventNames.AttentionRaised,
        Core.EventNames.ContactRequested, Core.EventNames.ContactRequestAnswered,
    };

    public async Task ApplyAsync(ProjectionContext context, IReadOnlyList<RecordedEvent> events, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(events);
        // One statement for every client in the batch: a group commit brings many clients' events at once.
        var streams = events.GroupBy(recorded => recorded.StreamId).ToList();
        await using var upsert = new NpgsqlCommand(
            $"INSERT INTO {_table} AS t (client_id, events, version) SELECT * FROM unnest(@clients, @events, @versions) " +
            "ON CONFLICT (client_id) DO UPDATE SET events = t.events || excluded.events, version = excluded.version",
            context.Connection, context.Transaction);
        upsert.Parameters.Add(new NpgsqlParameter("clients", NpgsqlDbType.Array | NpgsqlDbType.Uuid) { Value = streams.Select(s => s.Key).ToArray() });
        upsert.Parameters.Add(new NpgsqlParameter("events", NpgsqlDbType.Array | NpgsqlDbType.Jsonb)
        {
            Value = streams.Select(s => _log.ToJsonArray(s.OrderBy(e => e.Version))).ToArray(),
        });
        upsert.Parameters.Add(new NpgsqlParameter("versions", NpgsqlDbType.Array | NpgsqlDbType.Bigint) { Value = streams.Select(s => s.Max(e => e.Version)).ToArray() });
        await upsert.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task ResetAsync(ProjectionContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        await using var truncate = new NpgsqlCommand($"TRUNCATE {_table}", context.Connection, context.Transaction);
        await truncate.ExecuteNonQueryAsync(cancellationToken);
    }
}

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
