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
    private readonly List<EnlistedWrite> _alsoWrites = [];

    internal EventSession(EventStore store, EventMetadata metadata)
    {
        _store = store;
        Metadata = metadata;
    }

    /// <summary>Stored with every event this session saves.</summary>
    public EventMetadata Metadata { get; }

    public bool HasPendingChanges => _pending.Count > 0;

    /// <summary>
    /// Queues a write of the caller's own (a message body, say) to run in the transaction that saves this session's
    /// events, after the inline projections and the enlisted statements: it commits with them or not at all. Used only when
    /// there are events to save. It may run twice, on different connections, if the save's first transaction rolls back.
    /// </summary>
    public void AlsoWrite(Func<NpgsqlConnection, NpgsqlTransaction, CancellationToken, Task> write)
    {
        ArgumentNullException.ThrowIfNull(write);
        _alsoWrites.Add(new EnlistedWrite(null, write));
    }

    /// <summary>
    /// Queues one statement of the caller's own (an audit entry, say) for the transaction that saves this session's events,
    /// after the inline projections: it commits with them or not at all. Statements are sent together in one round trip,
    /// so prefer this to a callback. The factory may be called twice, if the save's first transaction rolls back.
    /// </summary>
    public void AlsoWrite(Func<NpgsqlBatchCommand> statement)
    {
        ArgumentNullException.ThrowIfNull(statement);
        _alsoWrites.Add(new EnlistedWrite(statement, null));
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
    /// A save to one stream may share its transaction with other sessions' saves (see <see cref="GroupCommit"/>);
    /// it commits or fails as if it had been alone.
    /// </summary>
    public async Task<SaveResult> SaveChangesAsync(CancellationToken cancellationToken = default)
    {
        if (_pending.Count == 0) return SaveResult.Saved([]);
        var work = new SaveWork(_store, Metadata, [.. _pending.Select(p => new StreamWrite(p.StreamId, p.StreamType, p.Expected, p.Events, _store))],
            [.. _alsoWrites], _store.Clock.GetUtcNow());
        _pending.Clear();
        _alsoWrites.Clear();
        if (work.CanJoinGroup) return await _store.Committer.SaveAsync(work, cancellationToken);

        await using var connection = await _store.DataSource.OpenConnectionAsync(cancellationToken);
        var result = await work.WriteAloneAsync(connection, cancellationToken);
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

    private async Task ReadStreamAsync(Guid streamId, long fromVersion, Action<RecordedEvent> each, CancellationToken cancellationToken)
    {
        await using var command = _store.DataSource.CreateCommand(_store.Sql.ReadStream);
        command.Parameters.Add(new NpgsqlParameter { Value = streamId, NpgsqlDbType = NpgsqlDbType.Uuid });
        command.Parameters.Add(new NpgsqlParameter { Value = fromVersion, NpgsqlDbType = NpgsqlDbType.Bigint });
        await using var reader = await command.ExecuteReaderAsync(CommandBehavior.SequentialAccess, cancellationToken);
        while (await reader.ReadAsync(cancellationToken)) each(_store.ReadEvent(reader));
    }

    private sealed record PendingStream(Guid StreamId, string? StreamType, ExpectedVersion Expected, List<object> Events);
}
