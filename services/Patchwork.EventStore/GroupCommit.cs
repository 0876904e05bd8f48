using System.Threading.Channels;
using Npgsql;

namespace Patchwork.EventStore;

/// <summary>
/// Writes the single-stream saves that arrive together in one transaction, so they share its round trips and its commit's
/// WAL flush. On this machine a round trip, not the work inside it, is what an append costs (P2: pgbench replaying one
/// recorded involvement's statements reached 0.22 of a raw INSERT one request to a transaction and 1.56 at eight). A few
/// writers take whatever has queued when they come free; a save that finds a writer idle is written alone, exactly as
/// before, so grouping costs nothing when the store is quiet.
/// </summary>
internal sealed class GroupCommit : IAsyncDisposable
{
    private readonly Channel<QueuedSave> _queue = Channel.CreateUnbounded<QueuedSave>(new UnboundedChannelOptions { SingleReader = false });
    private readonly EventStore _store;
    private readonly int _largestGroup;
    private readonly Task[] _writers;

    public GroupCommit(EventStore store, int writers, int largestGroup)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(writers, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(largestGroup, 1);
        _store = store;
        _largestGroup = largestGroup;
        _writers = [.. Enumerable.Range(0, writers).Select(_ => Task.Run(WriteQueuedAsync))];
    }

    /// <summary>
    /// The save's outcome once its transaction is over. The caller's token counts only while the save waits in the queue:
    /// once its group is being written, the others in it must not be held up or undone by one caller leaving.
    /// </summary>
    public Task<SaveResult> SaveAsync(SaveWork work, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var queued = new QueuedSave(work, cancellationToken);
        if (!_queue.Writer.TryWrite(queued)) throw new ObjectDisposedException(nameof(EventStore), "The event store is shutting down.");
        return queued.Outcome.Task;
    }

    private async Task WriteQueuedAsync()
    {
        var group = new List<QueuedSave>(_largestGroup);
        while (await _queue.Reader.WaitToReadAsync())
        {
            while (group.Count < _largestGroup && _queue.Reader.TryRead(out var queued))
            {
                if (queued.Cancellation.IsCancellationRequested) queued.Outcome.TrySetCanceled(queued.Cancellation);
                else group.Add(queued);
            }
            try
            {
                if (group.Count == 1) await WriteAloneAsync(group[0]);
                else if (group.Count > 1) await WriteGroupAsync(group);
            }
            catch (Exception e)
            {
                // Only a defect gets here; no caller may be left waiting on it, and the writer must live on for the next.
                foreach (var queued in group) queued.Outcome.TrySetException(e);
            }
            group.Clear();
        }
    }

    private async Task WriteGroupAsync(List<QueuedSave> group)
    {
        NpgsqlConnection connection;
        try
        {
            connection = await _store.DataSource.OpenConnectionAsync(CancellationToken.None);
        }
        catch (Exception e)
        {
            foreach (var queued in group) queued.Outcome.TrySetException(e);
            return;
        }

        List<WrittenEvent>?[] written;
        try
        {
            written = await SaveWork.WriteGroupAsync(_store, [.. group.Select(q => q.Work)], connection);
        }
        catch (GroupNotCommittedException)
        {
            // Nothing was written: each save goes again on its own, so one that fails (a projection's constraint, say) fails
            // alone and the rest commit, as they would have without grouping.
            await connection.DisposeAsync();
            foreach (var queued in group) await WriteAloneAsync(queued);
            return;
        }
        catch (Exception e)
        {
            // The commit was sent and its outcome is unknown: writing again could store a save twice, so every caller hears.
            await connection.DisposeAsync();
            foreach (var queued in group) queued.Outcome.TrySetException(e);
            return;
        }

        await using (connection)
        {
            for (var i = 0; i < group.Count; i++)
            {
                if (written[i] is { } rows)
                {
                    group[i].Outcome.TrySetResult(SaveResult.Saved([new StreamVersion(group[i].Work.Writes[0].StreamId, rows[^1].Version)]));
                    continue;
                }
                try
                {
                    group[i].Outcome.TrySetResult(SaveResult.Rejected(await group[i].Work.DiagnoseAsync(connection, CancellationToken.None)));
                }
                catch (Exception e)
                {
                    group[i].Outcome.TrySetException(e);
                }
            }
        }
        if (written.Any(w => w is not null)) _store.Announcer.Ring();
    }

    private async Task WriteAloneAsync(QueuedSave queued)
    {
        try
        {
            await using var connection = await _store.DataSource.OpenConnectionAsync(CancellationToken.None);
            var result = await queued.Work.WriteAloneAsync(connection, CancellationToken.None);
            if (result.IsSaved) _store.Announcer.Ring();
            queued.Outcome.TrySetResult(result);
        }
        catch (Exception e)
        {
            queued.Outcome.TrySetException(e);
        }
    }

    /// <summary>Writes what is already queued, then stops.</summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await Task.WhenAll(_writers);
    }

    private sealed class QueuedSave(SaveWork work, CancellationToken cancellation)
    {
        public SaveWork Work { get; } = work;

        public CancellationToken Cancellation { get; } = cancellation;

        public TaskCompletionSource<SaveResult> Outcome { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
