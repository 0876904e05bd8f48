using System.Diagnostics;
using System.Text.Json;
using JasperFx.Events;
using Marten;
using Marten.Exceptions;
using Marten.Services;
using Npgsql;

namespace Patchwork.EventStore;

/// <summary>
/// One unit of work against the store: reads streams, queues appends, and saves every queued append through Marten in
/// one transaction together with the inline projections they feed and the caller's own writes.
/// </summary>
public sealed class EventSession
{
    private const string ActorKindHeader = "patchwork-actor-kind";
    private const string ActorIdHeader = "patchwork-actor-id";
    private const string OrganisationHeader = "patchwork-organisation";
    private const string TraceParentHeader = "traceparent";
    private const string ChannelHeader = "patchwork-channel";

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
    /// events, after Marten's inline projections and the enlisted statements: it commits with them or not at all. Used only
    /// when there are events to save.
    /// </summary>
    public void AlsoWrite(Func<NpgsqlConnection, NpgsqlTransaction, CancellationToken, Task> write)
    {
        ArgumentNullException.ThrowIfNull(write);
        _alsoWrites.Add(new EnlistedWrite(null, write));
    }

    /// <summary>
    /// Queues one statement of the caller's own (an audit entry, say) for the transaction that saves this session's events,
    /// after Marten's inline projections: it commits with them or not at all. Statements are sent together in one round trip.
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
        Queue(streamId, ExpectedVersion.NoStream, events);
    }

    /// <summary>
    /// Queues events for a stream at the version the caller decided against; with
    /// <see cref="ExpectedVersion.Any"/> a missing stream is started.
    /// </summary>
    public void Append(Guid streamId, ExpectedVersion expected, params IEnumerable<object> events) =>
        Queue(streamId, expected, events);

    public async Task<IReadOnlyList<RecordedEvent>> FetchStreamAsync(Guid streamId, long fromVersion = 1, CancellationToken cancellationToken = default)
    {
        await using var query = _store.Marten.QuerySession();
        var events = await query.Events.FetchStreamAsync(streamId, token: cancellationToken);
        return [.. events.Where(e => e.Version >= fromVersion).Select(_store.ToRecorded)];
    }

    /// <summary>Folds the stream into state with a pure evolve function; <paramref name="initial"/> when there are no events.</summary>
    public async Task<TState> AggregateStreamAsync<TState>(Guid streamId, TState initial, Func<TState, object, TState> evolve, CancellationToken cancellationToken = default) =>
        (await FetchForWritingAsync(streamId, initial, evolve, cancellationToken)).State;

    /// <summary>The stream's state and the version to expect when appending what the caller decides.</summary>
    public async Task<StreamState<TState>> FetchForWritingAsync<TState>(Guid streamId, TState initial, Func<TState, object, TState> evolve, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(evolve);
        await using var query = _store.Marten.QuerySession();
        var events = await query.Events.FetchStreamAsync(streamId, token: cancellationToken);
        var state = initial;
        long version = 0;
        foreach (var e in events)
        {
            state = evolve(state, e.Data);
            version = e.Version;
        }
        return new StreamState<TState>(streamId, state, version);
    }

    /// <summary>
    /// Writes every queued append in one transaction, or none of them. A version conflict or a taken stream id comes
    /// back as <see cref="SaveResult.Rejection"/>; Marten checks the expected version as it appends.
    /// </summary>
    public async Task<SaveResult> SaveChangesAsync(CancellationToken cancellationToken = default)
    {
        if (_pending.Count == 0) return SaveResult.Saved([]);
        var pending = _pending.ToList();
        var alsoWrites = _alsoWrites.ToList();
        _pending.Clear();
        _alsoWrites.Clear();

        // Sessions appending at any version may race for the stream's next version (or to start it): Marten refuses the
        // loser, which simply tries again on the stream as it now stands.
        for (var attempt = 1; ; attempt++)
        {
            var (result, retry) = await TrySaveAsync(pending, alsoWrites, cancellationToken);
            if (!retry || attempt == 10) return result;
        }
    }

    private async Task<(SaveResult Result, bool Retry)> TrySaveAsync(List<PendingStream> pending, List<EnlistedWrite> alsoWrites, CancellationToken cancellationToken)
    {
        await using var connection = await _store.DataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await LockStreamsAsync(connection, transaction, pending, cancellationToken);
        var appended = new List<(PendingStream Pending, StreamAction Action)>(pending.Count);
        await using (var session = _store.Marten.LightweightSession(SessionOptions.ForTransaction(transaction)))
        {
            Stamp(session, Metadata);
            foreach (var stream in pending)
            {
                var action = stream.Expected.Value switch
                {
                    null => session.Events.Append(stream.StreamId, stream.Events),
                    0 => session.Events.StartStream(stream.StreamId, stream.Events),
                    // Marten's expected version is the one the stream will have after the append.
                    { } version => session.Events.Append(stream.StreamId, version + stream.Events.Count, stream.Events),
                };
                appended.Add((stream, action));
            }
            try
            {
                await session.SaveChangesAsync(cancellationToken);
            }
            catch (Exception e) when (Refusal(e) is { } refused)
            {
                await transaction.RollbackAsync(cancellationToken);
                if (pending.All(p => p.Expected.Value is null)) return (SaveResult.Rejected(new AppendRejection.VersionConflict(pending[0].StreamId, 0, 0)), true);
                return (SaveResult.Rejected(await RejectionAsync(refused, pending, cancellationToken)), false);
            }
        }

        await WriteEnlistedAsync(connection, transaction, alsoWrites, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return (SaveResult.Saved([.. appended.Select(a => new StreamVersion(a.Pending.StreamId, a.Action.Events[^1].Version))]), false);
    }

    private Task LockStreamsAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, List<PendingStream> pending, CancellationToken cancellationToken) =>
        StreamLocks.TakeAsync(connection, transaction, _store.Options, [.. pending.Select(p => (p.StreamId, AnyVersion: p.Expected.Value is null))],
            pending.SelectMany(p => p.Events).Select(e => e.GetType()), cancellationToken);

    /// <summary>Stores <paramref name="metadata"/> with every event the Marten session appends, as its headers and ids.</summary>
    internal static void Stamp(IDocumentSession session, EventMetadata metadata)
    {
        if (metadata.CorrelationId is { } correlation) session.CorrelationId = correlation.ToString();
        if (metadata.CausationId is { } causation) session.CausationId = causation.ToString();
        if (metadata.ActedBy is { } actor)
        {
            session.SetHeader(ActorKindHeader, actor.StoredKind);
            session.SetHeader(ActorIdHeader, actor.Id.ToString());
        }
        if (metadata.OrganisationId is { } organisation) session.SetHeader(OrganisationHeader, organisation.ToString());
        if (metadata.Channel is { } channel) session.SetHeader(ChannelHeader, channel);
        // The trace the save belongs to (a request, a partner's command), so whatever relays these events joins it.
        if (Activity.Current is { IdFormat: ActivityIdFormat.W3C, Id: { } trace }) session.SetHeader(TraceParentHeader, trace);
    }

    internal static EventMetadata MetadataOf(IEvent e)
    {
        var headers = e.Headers;
        string? Header(string key) => headers is not null && headers.TryGetValue(key, out var value) ? value switch
        {
            null => null,
            JsonElement { ValueKind: JsonValueKind.String } element => element.GetString(),
            _ => value.ToString(),
        } : null;
        Guid? AsGuid(string? value) => Guid.TryParse(value, out var id) ? id : null;
        return new EventMetadata(
            AsGuid(e.CorrelationId),
            AsGuid(e.CausationId),
            ActingPrincipal.FromStored(Header(ActorKindHeader), AsGuid(Header(ActorIdHeader))),
            AsGuid(Header(OrganisationHeader)),
            Header(TraceParentHeader),
            Header(ChannelHeader));
    }

    private static async Task WriteEnlistedAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, List<EnlistedWrite> writes, CancellationToken cancellationToken)
    {
        var statements = writes.Where(w => w.Statement is not null).Select(w => w.Statement!()).ToList();
        if (statements.Count > 0)
        {
            await using var batch = new NpgsqlBatch(connection, transaction);
            foreach (var statement in statements) batch.BatchCommands.Add(statement);
            await batch.ExecuteNonQueryAsync(cancellationToken);
        }
        foreach (var write in writes.Where(w => w.Callback is not null))
            await write.Callback!(connection, transaction, cancellationToken);
    }

    /// <summary>Whether Marten refused a save for optimistic concurrency: a stream changed since it was read, or started twice.</summary>
    public static bool IsConcurrencyRefusal(Exception e) => Refusal(e) is not null;

    /// <summary>The optimistic-concurrency refusals Marten raises, wherever it wrapped them.</summary>
    private static Exception? Refusal(Exception e) => e switch
    {
        EventStreamUnexpectedMaxEventIdException or Marten.Exceptions.ExistingStreamIdCollisionException or JasperFx.Events.ExistingStreamIdCollisionException => e,
        PostgresException { SqlState: PostgresErrorCodes.UniqueViolation } => e,
        AggregateException aggregate => aggregate.InnerExceptions.Select(Refusal).FirstOrDefault(r => r is not null),
        { InnerException: { } inner } => Refusal(inner),
        _ => null,
    };

    private async Task<AppendRejection> RejectionAsync(Exception refused, List<PendingStream> pending, CancellationToken cancellationToken)
    {
        // Marten names the stream it refused; read its version as it stands now, for the caller's 409.
        var stream = refused switch
        {
            EventStreamUnexpectedMaxEventIdException unexpected when unexpected.Id is Guid id => pending.Find(p => p.StreamId == id),
            Marten.Exceptions.ExistingStreamIdCollisionException collision when collision.Id is Guid id => pending.Find(p => p.StreamId == id),
            JasperFx.Events.ExistingStreamIdCollisionException collision when collision.Id is Guid id => pending.Find(p => p.StreamId == id),
            _ => null,
        } ?? pending.Find(p => p.Expected.Value is not null) ?? pending[0];
        await using var query = _store.Marten.QuerySession();
        var actual = (await query.Events.FetchStreamStateAsync(stream.StreamId, cancellationToken))?.Version ?? 0;
        return refused is Marten.Exceptions.ExistingStreamIdCollisionException or JasperFx.Events.ExistingStreamIdCollisionException || (stream.Expected.Value == 0 && actual > 0)
            ? new AppendRejection.StreamAlreadyExists(stream.StreamId, actual)
            : new AppendRejection.VersionConflict(stream.StreamId, stream.Expected.Value ?? actual, actual);
    }

    private void Queue(Guid streamId, ExpectedVersion expected, IEnumerable<object> events)
    {
        ArgumentNullException.ThrowIfNull(events);
        var list = events.ToList();
        if (list.Count == 0) throw new ArgumentException("Append at least one event.", nameof(events));
        if (list.Any(e => e is null)) throw new ArgumentException("Events cannot be null.", nameof(events));
        foreach (var e in list) _store.EnsureMapped(e.GetType());
        if (_pending.Find(p => p.StreamId == streamId) is { } queued)
        {
            if (expected == ExpectedVersion.NoStream) throw new InvalidOperationException($"Stream {streamId} already has appends queued in this session.");
            queued.Events.AddRange(list);
            return;
        }
        _pending.Add(new PendingStream(streamId, expected, list));
    }

    private sealed record PendingStream(Guid StreamId, ExpectedVersion Expected, List<object> Events);

    private sealed record EnlistedWrite(Func<NpgsqlBatchCommand>? Statement, Func<NpgsqlConnection, NpgsqlTransaction, CancellationToken, Task>? Callback);
}
