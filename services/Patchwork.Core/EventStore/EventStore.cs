using System.Collections.Concurrent;
using System.Text.Json;
using JasperFx.Events;
using Marten;
using Marten.Events;
using Marten.Services;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using NpgsqlTypes;

namespace Patchwork.EventStore;

/// <summary>
/// Streams of events in Marten: Marten's sessions append with optimistic concurrency and inline projections in one
/// transaction (<see cref="OpenWriteSession"/>, <see cref="OpenWriteTransactionAsync"/>), subscriptions run under Marten's
/// async daemon. Knows nothing of the domain.
/// </summary>
public sealed class EventStore : IAsyncDisposable
{
    private readonly bool _ownsDataSource;
    private readonly ConcurrentDictionary<string, SubscriptionRunner> _runners = new(StringComparer.Ordinal);

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
        Options = options;
        Schema = options.Schema;
        Types = options.Events;
        Json = options.Json;
        Clock = clock ?? TimeProvider.System;
        Loggers = loggers ?? NullLoggerFactory.Instance;
        Marten = new DocumentStore(MartenConfiguration.For(dataSource, options, Clock));
    }

    /// <summary>A store that owns a data source made from <see cref="EventStoreOptions.ConnectionString"/>.</summary>
    public static EventStore Create(EventStoreOptions options, TimeProvider? clock = null, ILoggerFactory? loggers = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var connectionString = options.ConnectionString
            ?? throw new InvalidOperationException("Set EventStoreOptions.ConnectionString to the application role's connection string.");
        var builder = new NpgsqlDataSourceBuilder(connectionString);
        // Statements the application sends again and again (a stream's load, the audit insert, the read models'
        // upserts) are prepared on each connection after a few uses (P2, measured with pg_stat_statements).
        if (builder.ConnectionStringBuilder.MaxAutoPrepare == 0) builder.ConnectionStringBuilder.MaxAutoPrepare = 64;
        if (loggers is not null) builder.UseLoggerFactory(loggers);
        return new EventStore(builder.Build(), options, clock, loggers, ownsDataSource: true);
    }

    /// <summary>The application role's connections, for read models that live beside the log.</summary>
    public NpgsqlDataSource DataSource { get; }

    public string Schema { get; }

    /// <summary>The Marten store underneath: appends, stream reads and the daemon's subscriptions go through it.</summary>
    public IDocumentStore Marten { get; }

    internal EventStoreOptions Options { get; }

    internal EventTypes Types { get; }

    internal JsonSerializerOptions Json { get; }

    internal TimeProvider Clock { get; }

    internal ILoggerFactory Loggers { get; }

    /// <summary>
    /// Marten's own unit of work, for slices that fetch a stream for writing (<c>Events.FetchForWriting</c>) and append to
    /// it: every event it saves carries <paramref name="metadata"/>; statements of the caller's own join its transaction
    /// through <see cref="StatementsBeforeCommit"/>. Its inline projections are Marten's.
    /// </summary>
    public IDocumentSession OpenWriteSession(EventMetadata metadata)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        var session = Marten.LightweightSession();
        EventHeaders.Stamp(session, metadata);
        return session;
    }

    /// <summary>
    /// Marten's session in a transaction of our own, holding a connection until disposed, for writes that need the stream
    /// and serialised-kind locks (<see cref="WriteTransaction"/>).
    /// </summary>
    public Task<WriteTransaction> OpenWriteTransactionAsync(EventMetadata metadata, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        return WriteTransaction.OpenAsync(this, metadata, cancellationToken);
    }

    /// <summary>
    /// Runs one named subscription under Marten's async daemon; call <see cref="SubscriptionRunner.RunAsync"/> on every
    /// node (HotCold: one leads).
    /// </summary>
    public SubscriptionRunner CreateSubscriptionRunner(string name, ISubscriptionHandler handler, SubscriptionOptions? options = null)
    {
        var runner = new SubscriptionRunner(this, name, handler, options ?? new SubscriptionOptions());
        _runners[name] = runner;
        return runner;
    }

    /// <summary>Position, lag, leadership and failures of every subscription: what a health check reads.</summary>
    public async Task<IReadOnlyList<SubscriptionStatus>> GetSubscriptionStatusesAsync(CancellationToken cancellationToken = default)
    {
        const long PendingCountedAtMost = 100_000;
        var schema = SchemaScripts.Quote(Schema);
        // Progress is Marten's; a subscription this process runs that has not yet recorded any is reported at the start.
        await using var command = DataSource.CreateCommand($"""
            WITH p AS (
                SELECT name, last_seq_id, last_updated FROM {schema}.mt_event_progression WHERE name LIKE '%:All'
                UNION ALL
                SELECT n || ':All', 0, NULL FROM unnest($2::text[]) n
                WHERE NOT EXISTS (SELECT 1 FROM {schema}.mt_event_progression WHERE name = n || ':All'))
            SELECT p.name, p.last_seq_id,
                   (SELECT count(*) FROM (SELECT 1 FROM {schema}.mt_events e WHERE e.seq_id > p.last_seq_id LIMIT $1) pending),
                   (SELECT e.timestamp FROM {schema}.mt_events e WHERE e.seq_id > p.last_seq_id ORDER BY e.seq_id LIMIT 1),
                   p.last_updated
            FROM p
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = PendingCountedAtMost, NpgsqlDbType = NpgsqlDbType.Bigint });
        command.Parameters.Add(new NpgsqlParameter { Value = _runners.Values.Where(r => r.HasStarted).Select(r => r.Name).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        var rows = new List<(string Name, long Sequence, long Pending, DateTimeOffset? Oldest, DateTimeOffset? Updated)>();
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                rows.Add((reader.GetString(0)[..^":All".Length], reader.GetInt64(1), reader.GetInt64(2),
                    reader.IsDBNull(3) ? null : reader.GetFieldValue<DateTimeOffset>(3),
                    reader.IsDBNull(4) ? null : reader.GetFieldValue<DateTimeOffset>(4)));
            }
        }
        var statuses = new List<SubscriptionStatus>(rows.Count);
        foreach (var row in rows)
        {
            var runner = _runners.GetValueOrDefault(row.Name);
            var failure = runner?.Failure;
            statuses.Add(new SubscriptionStatus(
                Name: row.Name,
                Position: new SubscriptionPosition(row.Sequence),
                State: failure?.State ?? SubscriptionState.Running,
                Attempts: failure?.Attempts ?? 0,
                Error: failure?.Error,
                FailingSequence: failure?.Sequence,
                FailingEventId: failure?.EventId,
                FailingEventName: failure?.EventName,
                FailingStreamId: failure?.StreamId,
                PendingEvents: row.Pending,
                OldestPendingAt: row.Pending > 0 ? row.Oldest : null,
                HasLeader: await SubscriptionRunner.LeaderOfAsync(DataSource, SubscriptionRunner.LeaderLockFor(Schema, row.Name), cancellationToken) != 0,
                UpdatedAt: row.Updated ?? Clock.GetUtcNow()));
        }
        return statuses;
    }

    /// <summary>
    /// The async daemon's high-water mark (the sequence below which no gap can still fill, as Marten records it), how many
    /// events lie above it and when the first of them was appended: a mark that stays behind appended events is stuck.
    /// </summary>
    public async Task<HighWaterMark> GetHighWaterMarkAsync(CancellationToken cancellationToken = default)
    {
        const long AboveCountedAtMost = 100_000;
        var schema = SchemaScripts.Quote(Schema);
        await using var command = DataSource.CreateCommand($"""
            WITH mark AS (SELECT coalesce((SELECT last_seq_id FROM {schema}.mt_event_progression WHERE name = 'HighWaterMark'), 0) AS seq)
            SELECT mark.seq,
                   (SELECT count(*) FROM (SELECT 1 FROM {schema}.mt_events e WHERE e.seq_id > mark.seq LIMIT $1) above),
                   (SELECT e.timestamp FROM {schema}.mt_events e WHERE e.seq_id > mark.seq ORDER BY e.seq_id LIMIT 1)
            FROM mark
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = AboveCountedAtMost, NpgsqlDbType = NpgsqlDbType.Bigint });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        var above = reader.GetInt64(1);
        return new HighWaterMark(reader.GetInt64(0), above, above > 0 && !reader.IsDBNull(2) ? reader.GetFieldValue<DateTimeOffset>(2) : null);
    }

    public async Task<SubscriptionStatus?> GetSubscriptionStatusAsync(string name, CancellationToken cancellationToken = default) =>
        (await GetSubscriptionStatusesAsync(cancellationToken)).FirstOrDefault(s => s.Name == name);

    /// <summary>Sends a parked subscription of this process back to its failing page, once whatever failed is fixed.</summary>
    public Task<bool> ResumeSubscriptionAsync(string name, CancellationToken cancellationToken = default) =>
        Task.FromResult(_runners.GetValueOrDefault(name)?.Resume() ?? false);

    public async ValueTask DisposeAsync()
    {
        Marten.Dispose();
        if (_ownsDataSource) await DataSource.DisposeAsync();
    }

    /// <summary>A Marten event as the log's readers see it, its metadata read back from its headers.</summary>
    public RecordedEvent ToRecorded(IEvent e) =>
        new(e.Sequence, e.Id, e.StreamId, e.Version, e.EventTypeName, e.Data, EventHeaders.Read(e), e.Timestamp);
}

/// <summary>Keys of the locks Marten's leaders hold, for operators and tests that need to find or hold a subscription's leader.</summary>
public static class SubscriptionKeys
{
    /// <summary>The PostgreSQL advisory lock key whose holder leads the named subscription in the schema.</summary>
    public static long LeaderLock(string schema, string name) => SubscriptionRunner.LeaderLockFor(schema, name);
}
