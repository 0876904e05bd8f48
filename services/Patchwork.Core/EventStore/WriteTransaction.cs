using JasperFx.Events;
using Marten;
using Marten.Services;
using Npgsql;

namespace Patchwork.EventStore;

/// <summary>
/// Marten's session inside a transaction of our own, for writes that need what Marten does not do for them: appends at any
/// version to a busy stream (a thread's messages) wait their turn on the stream's advisory lock instead of losing a race
/// for its next version, and appends of serialised kinds (the partnership's events, folded by one inline multi-stream
/// projection) take that kind's lock before Marten loads the document they fold into. Callers append with Marten's own
/// API (<see cref="Session"/>'s <c>Events</c>) and write rows of their own on <see cref="Connection"/> in
/// <see cref="Transaction"/>; <see cref="CommitAsync"/> takes the locks, saves and commits, or rolls everything back.
/// </summary>
public sealed class WriteTransaction : IAsyncDisposable
{
    private readonly EventStore _store;
    private readonly List<Func<NpgsqlConnection, NpgsqlTransaction, CancellationToken, Task>> _afterSave = [];

    private WriteTransaction(EventStore store, NpgsqlConnection connection, NpgsqlTransaction transaction, IDocumentSession session)
    {
        _store = store;
        Connection = connection;
        Transaction = transaction;
        Session = session;
    }

    public IDocumentSession Session { get; }

    public NpgsqlConnection Connection { get; }

    public NpgsqlTransaction Transaction { get; }

    internal static async Task<WriteTransaction> OpenAsync(EventStore store, EventMetadata metadata, CancellationToken cancellationToken)
    {
        var connection = await store.DataSource.OpenConnectionAsync(cancellationToken);
        try
        {
            var transaction = await connection.BeginTransactionAsync(cancellationToken);
            var session = store.Marten.LightweightSession(SessionOptions.ForTransaction(transaction));
            EventHeaders.Stamp(session, metadata);
            return new WriteTransaction(store, connection, transaction, session);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>A write of the caller's own (an audit entry, a message body) to run after Marten's save, in the same transaction.</summary>
    public void AfterSave(Func<NpgsqlConnection, NpgsqlTransaction, CancellationToken, Task> write)
    {
        ArgumentNullException.ThrowIfNull(write);
        _afterSave.Add(write);
    }

    /// <summary>A statement of the caller's own to run after Marten's save, in the same transaction.</summary>
    public void AfterSave(NpgsqlBatchCommand statement)
    {
        ArgumentNullException.ThrowIfNull(statement);
        _afterSave.Add(async (connection, transaction, cancellationToken) =>
        {
            await using var batch = new NpgsqlBatch(connection, transaction) { BatchCommands = { statement } };
            await batch.ExecuteNonQueryAsync(cancellationToken);
        });
    }

    /// <summary>
    /// Takes, now, the lock appends of <paramref name="eventType"/>'s serialised kind take at commit (the partnership's), so
    /// that what the caller reads next and decides on is as the last such write left it and stays so until this commits.
    /// Taken first, it comes before any stream lock the commit takes, against the usual order (streams' ids sort before the
    /// kind's name): use it for appends that take no stream lock — one stream started, or appended to at an expected
    /// version — or PostgreSQL may end a deadlock with another writer by refusing one of the two.
    /// </summary>
    public Task LockKindOfAsync(Type eventType, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(eventType);
        if (!_store.Options.SerialisedAppends.ContainsKey(eventType))
            throw new ArgumentException($"{eventType.Name} is of no serialised kind: nothing would hold what the caller reads.", nameof(eventType));
        return StreamLocks.TakeAsync(Connection, Transaction, _store.Options, [], [eventType], cancellationToken);
    }

    /// <summary>
    /// Takes the locks the session's appends need, saves them through Marten, runs the caller's writes and commits. False
    /// (and nothing stored) when Marten refused for optimistic concurrency: a stream moved past the version expected, or a
    /// stream to be started exists.
    /// </summary>
    public async Task<bool> CommitAsync(CancellationToken cancellationToken)
    {
        var streams = Session.PendingChanges.Streams();
        await StreamLocks.TakeAsync(Connection, Transaction, _store.Options,
            streams.Select(s => (s.Id, AnyVersion: s.ExpectedVersionOnServer is null && s.ActionType != StreamActionType.Start)).ToList(),
            streams.SelectMany(s => s.Events).Select(e => e.Data.GetType()), cancellationToken);
        try
        {
            await Session.SaveChangesAsync(cancellationToken);
        }
        catch (Exception e) when (ExceptionChain.IsConcurrencyRefusal(e))
        {
            await Transaction.RollbackAsync(cancellationToken);
            return false;
        }
        foreach (var write in _afterSave) await write(Connection, Transaction, cancellationToken);
        await Transaction.CommitAsync(cancellationToken);
        return true;
    }

    public async ValueTask DisposeAsync()
    {
        await Session.DisposeAsync();
        await Transaction.DisposeAsync();
        await Connection.DisposeAsync();
    }
}
