using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using NpgsqlTypes;

namespace Patchwork.EventStore;

/// <summary>
/// Streams of events in PostgreSQL, in Marten's shape: sessions append with optimistic concurrency and
/// inline projections, subscriptions tail the log below the commit horizon. Knows nothing of the domain.
/// </summary>
public sealed class EventStore : IAsyncDisposable
{
    private readonly bool _ownsDataSource;
    private readonly Dictionary<string, IInlineProjection> _projections;

    public EventStore(NpgsqlDataSource dataSource, EventStoreOptions options, TimeProvider? clock = null, ILoggerFactory? loggers = null)
        : this(dataSource, options, clock, loggers, ownsDataSource: false)
    {
    }

    private EventStore(NpgsqlDataSource dataSource, EventStoreOptions options, TimeProvider? clock, ILoggerFactory? loggers, bool ownsDataSource)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        ArgumentNullException.ThrowIfNull(options);
        DataSource = dataSource;
        _ownsDataSource = ownsDataSource;
        Sql = new StoreSql(options.Schema);
        Schema = options.Schema;
        Types = options.Events;
        Json = options.Json;
        Projections = [.. options.InlineProjections];
        _projections = Projections.ToDictionary(p => p.Name, StringComparer.Ordinal);
        Clock = clock ?? TimeProvider.System;
        Loggers = loggers ?? NullLoggerFactory.Instance;
        Announcer = new AppendAnnouncer(dataSource, Sql, Loggers.CreateLogger<AppendAnnouncer>());
        Committer = new GroupCommit(this, options.GroupCommitWriters, options.LargestGroup);
    }

    /// <summary>A store that owns a data source made from <see cref="EventStoreOptions.ConnectionString"/>.</summary>
    public static EventStore Create(EventStoreOptions options, TimeProvider? clock = null, ILoggerFactory? loggers = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var connectionString = options.ConnectionString
            ?? throw new InvalidOperationException("Set EventStoreOptions.ConnectionString to the application role's connection string.");
        var builder = new NpgsqlDataSourceBuilder(connectionString);
        // Resetting a pooled connection costs the server several statements per append; the store leaves no
        // session state behind (subscription runners unlisten and unlock before they hand a connection back).
        builder.ConnectionStringBuilder.NoResetOnClose = true;
        // Statements the application sends again and again (a stream's load, the audit insert, the read models'
        // upserts) are prepared on each connection after a few uses: parsing and planning them afresh each time cost
        // the server more than executing them (P2, measured with pg_stat_statements).
        if (builder.ConnectionStringBuilder.MaxAutoPrepare == 0) builder.ConnectionStringBuilder.MaxAutoPrepare = 64;
        if (loggers is not null) builder.UseLoggerFactory(loggers);
        return new EventStore(builder.Build(), options, clock, loggers, ownsDataSource: true);
    }

    /// <summary>The application role's connections, for read models that live beside the log.</summary>
    public NpgsqlDataSource DataSource { get; }

    public string Schema { get; }

    internal StoreSql Sql { get; }

    internal EventTypes Types { get; }

    internal JsonSerializerOptions Json { get; }

    internal IReadOnlyList<IInlineProjection> Projections { get; }

    internal TimeProvider Clock { get; }

    internal ILoggerFactory Loggers { get; }

    internal AppendAnnouncer Announcer { get; }

    internal GroupCommit Committer { get; }

    /// <summary>A unit of work: queue appends, then save them in one transaction. Cheap; holds no connection.</summary>
    public EventSession OpenSession(EventMetadata? metadata = null) => new(this, metadata ?? EventMetadata.None);

    /// <summary>Stops the stream taking events; its history stays readable. False when there is no such stream.</summary>
    public async Task<bool> ArchiveStreamAsync(Guid streamId, CancellationToken cancellationToken = default)
    {
        await using var command = DataSource.CreateCommand(Sql.ArchiveStream);
        command.Parameters.Add(new NpgsqlParameter { Value = streamId, NpgsqlDbType = NpgsqlDbType.Uuid });
        return await command.ExecuteScalarAsync(cancellationToken) is not null;
    }

    /// <summary>
    /// Empties an inline projection's read model and replays the whole log through it in one transaction.
    /// Returns the number of events replayed.
    /// </summary>
    public async Task<long> RebuildProjectionAsync(string projectionName, CancellationToken cancellationToken = default)
    {
        var projection = _projections.GetValueOrDefault(projectionName)
            ?? throw new ArgumentException($"No inline projection is registered as {projectionName}.", nameof(projectionName));
        const int PageSize = 1000;
        await using var connection = await DataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var context = new ProjectionContext(connection, transaction);
        await projection.ResetAsync(context, cancellationToken);

        var names = projection.EventNames.ToArray();
        long after = 0, replayed = 0;
        while (true)
        {
            var page = new List<RecordedEvent>(PageSize);
            await using (var command = new NpgsqlCommand(Sql.ReadEventsByName, connection, transaction))
            {
                command.Parameters.Add(new NpgsqlParameter { Value = names, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
                command.Parameters.Add(new NpgsqlParameter { Value = after, NpgsqlDbType = NpgsqlDbType.Bigint });
                command.Parameters.Add(new NpgsqlParameter { Value = PageSize, NpgsqlDbType = NpgsqlDbType.Integer });
                await using var reader = await command.ExecuteReaderAsync(cancellationToken);
                while (await reader.ReadAsync(cancellationToken)) page.Add(ReadEvent(reader));
            }
            if (page.Count == 0) break;
            await projection.ApplyAsync(context, page, cancellationToken);
            after = page[^1].Sequence;
            replayed += page.Count;
        }
        await transaction.CommitAsync(cancellationToken);
        return replayed;
    }

    /// <summary>Runs one named subscription; call <see cref="SubscriptionRunner.RunAsync"/> on every node.</summary>
    public SubscriptionRunner CreateSubscriptionRunner(string name, ISubscriptionHandler handler, SubscriptionOptions? options = null) =>
        new(this, name, handler, options ?? new SubscriptionOptions());

    /// <summary>Position, lag, leadership and failures of every subscription: what a health check reads.</summary>
    public async Task<IReadOnlyList<SubscriptionStatus>> GetSubscriptionStatusesAsync(CancellationToken cancellationToken = default)
    {
        const long PendingCountedAtMost = 100_000;
        await using var command = DataSource.CreateCommand(Sql.ReadSubscriptionStatus);
        command.Parameters.Add(new NpgsqlParameter { Value = Sql.LockNamePrefix, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = PendingCountedAtMost, NpgsqlDbType = NpgsqlDbType.Bigint });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var statuses = new List<SubscriptionStatus>();
        while (await reader.ReadAsync(cancellationToken))
        {
            statuses.Add(new SubscriptionStatus(
                Name: reader.GetString(0),
                Position: new SubscriptionPosition(reader.GetFieldValue<ulong>(1), reader.GetInt64(2)),
                State: ParseState(reader.GetString(3)),
                Attempts: reader.GetInt32(4),
                Error: reader.IsDBNull(5) ? null : reader.GetString(5),
                UpdatedAt: reader.GetFieldValue<DateTimeOffset>(6),
                FailingSequence: reader.IsDBNull(7) ? null : reader.GetInt64(7),
                FailingEventId: reader.IsDBNull(8) ? null : reader.GetGuid(8),
                FailingEventName: reader.IsDBNull(9) ? null : reader.GetString(9),
                FailingStreamId: reader.IsDBNull(10) ? null : reader.GetGuid(10),
                PendingEvents: reader.GetInt64(11),
                OldestPendingAt: reader.IsDBNull(12) ? null : reader.GetFieldValue<DateTimeOffset>(12),
                HasLeader: reader.GetBoolean(13)));
        }
        return statuses;
    }

    public async Task<SubscriptionStatus?> GetSubscriptionStatusAsync(string name, CancellationToken cancellationToken = default) =>
        (await GetSubscriptionStatusesAsync(cancellationToken)).FirstOrDefault(s => s.Name == name);

    /// <summary>Sends a parked subscription back to its failing event, once whatever failed is fixed.</summary>
    public async Task<bool> ResumeSubscriptionAsync(string name, CancellationToken cancellationToken = default)
    {
        await using var command = DataSource.CreateCommand(Sql.ResumeSubscription);
        command.Parameters.Add(new NpgsqlParameter { Value = name, NpgsqlDbType = NpgsqlDbType.Text });
        var resumed = await command.ExecuteScalarAsync(cancellationToken) is not null;
        if (resumed) Announcer.Ring();
        return resumed;
    }

    public async ValueTask DisposeAsync()
    {
        await Committer.DisposeAsync();
        await Announcer.DisposeAsync();
        if (_ownsDataSource) await DataSource.DisposeAsync();
    }

    internal static SubscriptionState ParseState(string state) => state switch
    {
        "running" => SubscriptionState.Running,
        "retrying" => SubscriptionState.Retrying,
        "parked" => SubscriptionState.Parked,
        _ => throw new InvalidOperationException($"Unknown subscription state {state}"),
    };

    internal string Serialize(object @event) => JsonSerializer.Serialize(@event, @event.GetType(), Json);

    /// <summary>Reads a row laid out as the store's event queries select it, column by column so sequential access works.</summary>
    internal RecordedEvent ReadEvent(NpgsqlDataReader reader)
    {
        var sequence = reader.GetInt64(0);
        var id = reader.GetGuid(1);
        var streamId = reader.GetGuid(2);
        var version = reader.GetInt64(3);
        var name = reader.GetString(4);
        var json = reader.GetString(5);
        var correlationId = reader.IsDBNull(6) ? (Guid?)null : reader.GetGuid(6);
        var causationId = reader.IsDBNull(7) ? (Guid?)null : reader.GetGuid(7);
        var actorKind = reader.IsDBNull(8) ? null : reader.GetString(8);
        var actorId = reader.IsDBNull(9) ? (Guid?)null : reader.GetGuid(9);
        var organisationId = reader.IsDBNull(10) ? (Guid?)null : reader.GetGuid(10);
        var recordedAt = reader.GetFieldValue<DateTimeOffset>(11);
        var transactionId = reader.GetFieldValue<ulong>(12);
        object data = Types.TypeOf(name) is { } type
            ? JsonSerializer.Deserialize(json, type, Json) ?? throw new InvalidOperationException($"Event {id} holds null data.")
            : JsonSerializer.Deserialize<JsonElement>(json);
        var metadata = new EventMetadata(correlationId, causationId, ActingPrincipal.FromStored(actorKind, actorId), organisationId);
        return new RecordedEvent(sequence, id, streamId, version, name, data, metadata, recordedAt, transactionId);
    }
}
