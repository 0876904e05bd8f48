using System.Data;
using Npgsql;
using NpgsqlTypes;

namespace Patchwork.EventStore;

/// <summary>
/// One unit of work against the store: reads streams, queues appends, and saves every queued append in
/// one transaction together with the inline projections they feed.
/// </summary>
public sealed class EventSession
{
    private readonly EventStore _store;
    private readonly List<PendingStream> _pending = [];
    private readonly List<Func<NpgsqlConnection, NpgsqlTransaction, CancellationToken, Task>> _alsoWrites = [];

    internal EventSession(EventStore store, EventMetadata metadata)
    {
        _store = store;
        Metadata = metadata;
    }

    /// <summary>Stored with every event this session saves.</summary>
    public EventMetadata Metadata { get; }

    public bool HasPendingChanges => _pending.Count > 0;

    /// <summary>
    /// Queues a write of the caller's own (an audit entry, say) to run in the transaction that saves this session's events,
    /// after the inline projections: it commits with them or not at all. Used only when there are events to save.
    /// </summary>
    public void AlsoWrite(Func<NpgsqlConnection, NpgsqlTransaction, CancellationToken, Task> write)
    {
        ArgumentNullException.ThrowIfNull(write);
        _alsoWrites.Add(write);
    }

    /// <summary>Queues a new stream; saving is refused if the id is already taken.</summary>
    public void StartStream(Guid streamId, string streamType, params IEnumerable<object> events)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(streamType);
        Queue(streamId, streamType, ExpectedVersion.NoStream, events);
    }

    /// <summary>
    /// Queues events for a stream at the version the caller decided against; with
    /// <see cref="ExpectedVersion.Any"/> a missing stream is started.
    /// </summary>
    public void Append(Guid streamId, ExpectedVersion expected, params IEnumerable<object> events) =>
        Queue(streamId, null, expected, events);

    public async Task<IReadOnlyList<RecordedEvent>> FetchStreamAsync(Guid streamId, long fromVersion = 1, CancellationToken cancellationToken = default)
    {
        var events = new List<RecordedEvent>();
        await ReadStreamAsync(streamId, fromVersion, e => events.Add(e), cancellationToken);
        return events;
    }

    /// <summary>Folds the stream into state with a pure evolve function; <paramref name="initial"/> when there are no events.</summary>
    public async Task<TState> AggregateStreamAsync<TState>(Guid streamId, TState initial, Func<TState, object, TState> evolve, CancellationToken cancellationToken = default) =>
        (await FetchForWritingAsync(streamId, initial, evolve, cancellationToken)).State;

    /// <summary>The stream's state and the version to expect when appending what the caller decides.</summary>
    public async Task<StreamState<TState>> FetchForWritingAsync<TState>(Guid streamId, TState initial, Func<TState, object, TState> evolve, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(evolve);
        var state = initial;
        long version = 0;
        await ReadStreamAsync(streamId, 1, e =>
        {
            state = evolve(state, e.Data);
            version = e.Version;
        }, cancellationToken);
        return new StreamState<TState>(streamId, state, version);
    }

    /// <summary>
    /// Writes every queued append in one transaction, or none of them. A version conflict, a taken stream
    /// id or an archived stream comes back as <see cref="SaveResult.Rejection"/> and draws no sequence number.
    /// </summary>
    public async Task<SaveResult> SaveChangesAsync(CancellationToken cancellationToken = default)
    {
        if (_pending.Count == 0) return SaveResult.Saved([]);
        // Claiming streams in id order keeps two multi-stream sessions from deadlocking each other.
        var writes = _pending.OrderBy(p => p.StreamId).Select(p => new StreamWrite(p, _store)).ToList();
        var alsoWrites = _alsoWrites.ToList();
        _pending.Clear();
        _alsoWrites.Clear();
        var recordedAt = _store.Clock.GetUtcNow();
        var projected = _store.Projections.Where(p => writes.Any(w => w.Names.Any(p.EventNames.Contains))).ToList();

        await using var connection = await _store.DataSource.OpenConnectionAsync(cancellationToken);
        var result = writes.Count == 1 && projected.Count == 0 && alsoWrites.Count == 0
            ? await AppendAloneAsync(connection, writes[0], recordedAt, cancellationToken)
            : await AppendInTransactionAsync(connection, writes, projected, alsoWrites, recordedAt, cancellationToken);
        if (result.IsSaved) _store.Announcer.Ring();
        return result;
    }

    private void Queue(Guid streamId, string? streamType, ExpectedVersion expected, IEnumerable<object> events)
    {
        ArgumentNullException.ThrowIfNull(events);
        var list = events.ToList();
        if (list.Count == 0) throw new ArgumentException("Append at least one event.", nameof(events));
        if (list.Any(e => e is null)) throw new ArgumentException("Events cannot be null.", nameof(events));
        if (_pending.Find(p => p.StreamId == streamId) is { } queued)
        {
            if (streamType is not null) throw new InvalidOperationException($"Stream {streamId} already has appends queued in this session.");
            queued.Events.AddRange(list);
            return;
        }
        _pending.Add(new PendingStream(streamId, streamType, expected, list));
    }

    /// <summary>One statement, one round trip, no explicit transaction: the claim and the events commit together.</summary>
    private async Task<SaveResult> AppendAloneAsync(NpgsqlConnection connection, StreamWrite write, DateTimeOffset recordedAt, CancellationToken cancellationToken)
    {
        var written = await ClaimAndInsertAsync(connection, null, write, recordedAt, cancellationToken);
        return written is null
            ? SaveResult.Rejected(await DiagnoseAsync(connection, null, write, cancellationToken))
            : SaveResult.Saved([new StreamVersion(write.StreamId, written[^1].Version)]);
    }

    private async Task<SaveResult> AppendInTransactionAsync(NpgsqlConnection connection, List<StreamWrite> writes, List<IInlineProjection> projected,
        List<Func<NpgsqlConnection, NpgsqlTransaction, CancellationToken, Task>> alsoWrites, DateTimeOffset recordedAt, CancellationToken cancellationToken)
    {
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var written = new List<WrittenEvent>[writes.Count];
        if (writes.Count == 1)
        {
            if (await ClaimAndInsertAsync(connection, transaction, writes[0], recordedAt, cancellationToken) is not { } rows)
                return SaveResult.Rejected(await DiagnoseAsync(connection, transaction, writes[0], cancellationToken));
            written[0] = rows;
        }
        else
        {
            // Every stream is claimed before any event is inserted, so a refused session draws no sequence number.
            var claimed = await ClaimAllAsync(connection, transaction, writes, cancellationToken);
            if (Array.IndexOf(claimed, null) is var refused and >= 0)
                return SaveResult.Rejected(await DiagnoseAsync(connection, transaction, writes[refused], cancellationToken));
            await InsertAllAsync(connection, transaction, writes, claimed.Select(v => v!.Value).ToArray(), recordedAt, written, cancellationToken);
        }

        if (projected.Count > 0)
        {
            var recorded = writes.SelectMany((w, i) => w.Recorded(written[i], Metadata, recordedAt)).ToList();
            var context = new ProjectionContext(connection, transaction);
            foreach (var projection in projected)
            {
                var relevant = recorded.Where(e => projection.EventNames.Contains(e.Name)).ToList();
                if (relevant.Count > 0) await projection.ApplyAsync(context, relevant, cancellationToken);
            }
        }
        foreach (var write in alsoWrites) await write(connection, transaction, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return SaveResult.Saved(writes.Select((w, i) => new StreamVersion(w.StreamId, written[i][^1].Version)).ToList());
    }

    /// <summary>The events' sequence numbers and versions, or null when the stream could not be claimed.</summary>
    private async Task<List<WrittenEvent>?> ClaimAndInsertAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, StreamWrite write,
        DateTimeOffset recordedAt, CancellationToken cancellationToken)
    {
        var sql = write.Expected.Value switch
        {
            null => _store.Sql.AppendAtAnyVersion,
            0 => _store.Sql.AppendToNewStream,
            _ => _store.Sql.AppendAtVersion,
        };
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        AddEventParameters(command.Parameters, write, ClaimArgument(write), recordedAt);
        command.Parameters.Add(new NpgsqlParameter { Value = _store.Sql.StreamLockNamePrefix, NpgsqlDbType = NpgsqlDbType.Text });
        await command.PrepareAsync(cancellationToken);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var rows = await ReadWrittenAsync(reader, write.Events.Count, cancellationToken);
        return rows.Count == 0 ? null : rows;
    }

    private async Task<long?[]> ClaimAllAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, List<StreamWrite> writes, CancellationToken cancellationToken)
    {
        await using var batch = new NpgsqlBatch(connection, transaction);
        batch.BatchCommands.Add(LockStreams(writes));
        foreach (var write in writes)
        {
            var claim = new NpgsqlBatchCommand(write.Expected.Value switch
            {
                null => _store.Sql.ClaimAtAnyVersion,
                0 => _store.Sql.ClaimNewStream,
                _ => _store.Sql.ClaimAtVersion,
            });
            claim.Parameters.Add(new NpgsqlParameter { Value = write.StreamId, NpgsqlDbType = NpgsqlDbType.Uuid });
            claim.Parameters.Add(ClaimArgument(write));
            claim.Parameters.Add(new NpgsqlParameter { Value = (long)write.Events.Count, NpgsqlDbType = NpgsqlDbType.Bigint });
            batch.BatchCommands.Add(claim);
        }
        var versions = new long?[writes.Count];
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        for (var i = 0; i < writes.Count; i++)
        {
            await reader.NextResultAsync(cancellationToken);
            versions[i] = await reader.ReadAsync(cancellationToken) ? reader.GetInt64(0) : null;
        }
        return versions;
    }

    private async Task InsertAllAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, List<StreamWrite> writes, long[] claimedVersions,
        DateTimeOffset recordedAt, List<WrittenEvent>[] written, CancellationToken cancellationToken)
    {
        await using var batch = new NpgsqlBatch(connection, transaction);
        for (var i = 0; i < writes.Count; i++)
        {
            var insert = new NpgsqlBatchCommand(_store.Sql.InsertEvents);
            var versionBefore = claimedVersions[i] - writes[i].Events.Count;
            AddEventParameters(insert.Parameters, writes[i], new NpgsqlParameter { Value = versionBefore, NpgsqlDbType = NpgsqlDbType.Bigint }, recordedAt);
            batch.BatchCommands.Add(insert);
        }
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        for (var i = 0; i < writes.Count; i++)
        {
            if (i > 0) await reader.NextResultAsync(cancellationToken);
            written[i] = await ReadWrittenAsync(reader, writes[i].Events.Count, cancellationToken);
        }
    }

    private static async Task<List<WrittenEvent>> ReadWrittenAsync(NpgsqlDataReader reader, int expected, CancellationToken cancellationToken)
    {
        var rows = new List<WrittenEvent>(expected);
        while (await reader.ReadAsync(cancellationToken))
            rows.Add(new WrittenEvent(reader.GetInt64(0), reader.GetInt64(1), reader.GetFieldValue<ulong>(2)));
        rows.Sort((a, b) => a.Version.CompareTo(b.Version));
        return rows;
    }

    private async Task<AppendRejection> DiagnoseAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, StreamWrite write, CancellationToken cancellationToken)
    {
        if (transaction is not null) await transaction.RollbackAsync(cancellationToken);
        await using var command = new NpgsqlCommand(_store.Sql.ReadStreamVersion, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = write.StreamId, NpgsqlDbType = NpgsqlDbType.Uuid });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var (actual, archived) = await reader.ReadAsync(cancellationToken) ? (reader.GetInt64(0), reader.GetBoolean(1)) : (0L, false);
        return archived ? new AppendRejection.StreamArchived(write.StreamId)
            : write.Expected == ExpectedVersion.NoStream ? new AppendRejection.StreamAlreadyExists(write.StreamId, actual)
            : new AppendRejection.VersionConflict(write.StreamId, write.Expected.Value ?? actual, actual);
    }

    /// <summary>Runs first in every append; see lock_streams.sql for why.</summary>
    private NpgsqlBatchCommand LockStreams(IEnumerable<StreamWrite> writes) => new(_store.Sql.LockStreams)
    {
        Parameters =
        {
            new NpgsqlParameter { Value = _store.Sql.StreamLockNamePrefix, NpgsqlDbType = NpgsqlDbType.Text },
            new NpgsqlParameter { Value = writes.Select(w => w.StreamId).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Uuid },
        },
    };

    private static NpgsqlParameter ClaimArgument(StreamWrite write) => write.Expected.Value is null or 0
        ? new NpgsqlParameter { Value = (object?)write.StreamType ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text }
        : new NpgsqlParameter { Value = write.Expected.Value.Value, NpgsqlDbType = NpgsqlDbType.Bigint };

    /// <summary>The parameters every append statement shares; see the comments at the top of append_events.sql.</summary>
    private void AddEventParameters(NpgsqlParameterCollection parameters, StreamWrite write, NpgsqlParameter second, DateTimeOffset recordedAt)
    {
        parameters.Add(new NpgsqlParameter { Value = write.StreamId, NpgsqlDbType = NpgsqlDbType.Uuid });
        parameters.Add(second);
        parameters.Add(new NpgsqlParameter { Value = (long)write.Events.Count, NpgsqlDbType = NpgsqlDbType.Bigint });
        parameters.Add(new NpgsqlParameter { Value = write.Ids, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Uuid });
        parameters.Add(new NpgsqlParameter { Value = write.Names, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        parameters.Add(new NpgsqlParameter { Value = write.Data, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Jsonb });
        parameters.Add(Nullable(Metadata.CorrelationId, NpgsqlDbType.Uuid));
        parameters.Add(Nullable(Metadata.CausationId, NpgsqlDbType.Uuid));
        parameters.Add(Nullable(Metadata.ActedBy?.StoredKind, NpgsqlDbType.Text));
        parameters.Add(Nullable(Metadata.ActedBy?.Id, NpgsqlDbType.Uuid));
        parameters.Add(Nullable(Metadata.OrganisationId, NpgsqlDbType.Uuid));
        parameters.Add(new NpgsqlParameter { Value = recordedAt, NpgsqlDbType = NpgsqlDbType.TimestampTz });
    }

    private static NpgsqlParameter Nullable(object? value, NpgsqlDbType type) => new() { Value = value ?? DBNull.Value, NpgsqlDbType = type };

    private async Task ReadStreamAsync(Guid streamId, long fromVersion, Action<RecordedEvent> each, CancellationToken cancellationToken)
    {
        await using var command = _store.DataSource.CreateCommand(_store.Sql.ReadStream);
        command.Parameters.Add(new NpgsqlParameter { Value = streamId, NpgsqlDbType = NpgsqlDbType.Uuid });
        command.Parameters.Add(new NpgsqlParameter { Value = fromVersion, NpgsqlDbType = NpgsqlDbType.Bigint });
        await using var reader = await command.ExecuteReaderAsync(CommandBehavior.SequentialAccess, cancellationToken);
        while (await reader.ReadAsync(cancellationToken)) each(_store.ReadEvent(reader));
    }

    private sealed record PendingStream(Guid StreamId, string? StreamType, ExpectedVersion Expected, List<object> Events);

    private readonly record struct WrittenEvent(long Sequence, long Version, ulong TransactionId);

    /// <summary>A queued append made ready for the database: ids drawn, names looked up, data serialized.</summary>
    private sealed class StreamWrite
    {
        public StreamWrite(PendingStream pending, EventStore store)
        {
            StreamId = pending.StreamId;
            StreamType = pending.StreamType;
            Expected = pending.Expected;
            Events = pending.Events;
            Ids = new Guid[Events.Count];
            Names = new string[Events.Count];
            Data = new string[Events.Count];
            for (var i = 0; i < Events.Count; i++)
            {
                Ids[i] = Guid.CreateVersion7();
                Names[i] = store.Types.NameOf(Events[i].GetType());
                Data[i] = store.Serialize(Events[i]);
            }
        }

        public Guid StreamId { get; }
        public string? StreamType { get; }
        public ExpectedVersion Expected { get; }
        public List<object> Events { get; }
        public Guid[] Ids { get; }
        public string[] Names { get; }
        public string[] Data { get; }

        public IEnumerable<RecordedEvent> Recorded(List<WrittenEvent> written, EventMetadata metadata, DateTimeOffset recordedAt) =>
            written.Select((row, i) => new RecordedEvent(row.Sequence, Ids[i], StreamId, row.Version, Names[i], Events[i], metadata, recordedAt, row.TransactionId));
    }
}
