using System.Data;
using Microsoft.Extensions.Logging;
using Npgsql;
using NpgsqlTypes;

namespace Patchwork.EventStore;

/// <summary>
/// Runs one named subscription. Any number of runners may run it on any number of nodes: the one holding
/// the subscription's advisory lock on its own connection leads, the others keep trying to take the lock,
/// and PostgreSQL releases it when the leader's session dies.
/// </summary>
public sealed class SubscriptionRunner
{
    private const int ErrorLengthKept = 4000;
    private readonly EventStore _store;
    private readonly ISubscriptionHandler _handler;
    private readonly SubscriptionOptions _options;
    private readonly ILogger _log;
    private int _leaderProcessId;

    internal SubscriptionRunner(EventStore store, string name, ISubscriptionHandler handler, SubscriptionOptions options)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(handler);
        if (options.PageSize < 1) throw new ArgumentOutOfRangeException(nameof(options), "PageSize must be at least 1.");
        if (options.MaxAttempts < 1) throw new ArgumentOutOfRangeException(nameof(options), "MaxAttempts must be at least 1.");
        _store = store;
        Name = name;
        _handler = handler;
        _options = options;
        _log = store.Loggers.CreateLogger<SubscriptionRunner>();
    }

    public string Name { get; }

    /// <summary>Whether this runner holds the subscription's lock and is handling events.</summary>
    public bool IsLeading => Volatile.Read(ref _leaderProcessId) != 0;

    /// <summary>The PostgreSQL backend that holds the lock while this runner leads; 0 otherwise.</summary>
    public int LeaderProcessId => Volatile.Read(ref _leaderProcessId);

    /// <summary>Competes for leadership and, while leading, handles the log until cancelled.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = await _store.DataSource.OpenConnectionAsync(cancellationToken);
                if (await TryTakeLeadAsync(connection, cancellationToken))
                {
                    Volatile.Write(ref _leaderProcessId, connection.ProcessID);
                    _log.LogInformation("Subscription {Subscription} is led from backend {Backend}", Name, connection.ProcessID);
                    try
                    {
                        await LeadAsync(connection, cancellationToken);
                    }
                    finally
                    {
                        Volatile.Write(ref _leaderProcessId, 0);
                        await StepDownAsync(connection);
                    }
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested)
            {
                // A runner never dies: whatever broke, it steps down and competes for the lead again after a pause.
                _log.LogWarning(e, "Subscription {Subscription} stopped leading; trying to lead again", Name);
            }

            try
            {
                await Task.Delay(_options.LeadershipRetryInterval, _store.Clock, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task<bool> TryTakeLeadAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(_store.Sql.TakeSubscriptionLead, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = LockName, NpgsqlDbType = NpgsqlDbType.Text });
        return await command.ExecuteScalarAsync(cancellationToken) is true;
    }

    private string LockName => _store.Sql.LockNamePrefix + Name;

    /// <summary>Looks after 2, 4, … 64 ms (about an eighth of a second in all) before waiting for the next poll.</summary>
    private const int MaxQuickLooks = 6;

    /// <summary>Pooled connections keep session locks and LISTENs, so give both back before the pool reuses it.</summary>
    private async Task StepDownAsync(NpgsqlConnection connection)
    {
        if (connection.FullState != ConnectionState.Open) return;
        try
        {
            await using var command = new NpgsqlCommand("UNLISTEN *; SELECT pg_advisory_unlock_all()", connection);
            await command.ExecuteNonQueryAsync(CancellationToken.None);
        }
        catch (Exception e) when (e is NpgsqlException or IOException or TimeoutException)
        {
            _log.LogWarning(e, "Subscription {Subscription} could not release its lock cleanly; closing its session releases it", Name);
        }
    }

    private async Task LeadAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await ExecuteAsync(connection, _store.Sql.EnsureSubscription, cancellationToken, Text(Name));
        await ExecuteAsync(connection, "LISTEN " + StoreSql.QuoteIdentifier(_store.Sql.Channel), cancellationToken);
        var woken = 0;
        var quickLooks = 0;
        connection.Notification += (_, _) => Volatile.Write(ref woken, 1);

        var (position, state, attempts) = await ReadCheckpointAsync(connection, cancellationToken);
        SubscriptionPosition? narrowUntil = null;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (state == SubscriptionState.Parked)
            {
                // Parked: wait, without spinning, for someone to resume the subscription.
                await connection.WaitAsync(_options.PollInterval, cancellationToken);
                (position, state, attempts) = await ReadCheckpointAsync(connection, cancellationToken);
                continue;
            }

            var readBecauseWoken = Interlocked.Exchange(ref woken, 0) != 0;
            var pageSize = narrowUntil is { } until && position.IsBefore(until) ? 1 : _options.PageSize;
            var page = await ReadPageAsync(connection, position, pageSize, cancellationToken);
            if (page.Count == 0)
            {
                if (Volatile.Read(ref woken) != 0) continue;
                // Woken by an append, yet nothing readable: a transaction that began earlier is still open somewhere, so
                // the new event is above the horizon. Nothing announces that transaction's end: look again shortly,
                // backing off, before falling back to the poll interval. Each short wait still ends at the next
                // announcement: sleeping through one would delay the append it announces by the rest of the wait.
                if (readBecauseWoken || quickLooks > 0)
                {
                    if (quickLooks < MaxQuickLooks)
                    {
                        await connection.WaitAsync(TimeSpan.FromMilliseconds(2 << quickLooks++), cancellationToken);
                        continue;
                    }
                }
                quickLooks = 0;
                await connection.WaitAsync(_options.PollInterval, cancellationToken);
                continue;
            }
            quickLooks = 0;

            if (await HandleAsync(connection, page, cancellationToken) is not { } failure)
            {
                position = page[^1].Position;
                (state, attempts) = (SubscriptionState.Running, 0);
                continue;
            }

            attempts++;
            // A failing page is retried one event at a time, so the events before the culprit get through
            // and the culprit itself is what parks.
            if (page.Count > 1) narrowUntil = page[^1].Position;
            state = page.Count == 1 && attempts >= _options.MaxAttempts ? SubscriptionState.Parked : SubscriptionState.Retrying;
            await RecordFailureAsync(connection, state, attempts, page[0], failure, cancellationToken);
            if (state == SubscriptionState.Parked)
            {
                _log.LogError(failure, "Subscription {Subscription} parked on event {Sequence} after {Attempts} attempts", Name, page[0].Sequence, attempts);
                continue;
            }
            _log.LogWarning(failure, "Subscription {Subscription} failed on event {Sequence} (attempt {Attempts}); retrying", Name, page[0].Sequence, attempts);
            await Task.Delay(_options.RetryDelay(attempts), _store.Clock, cancellationToken);
        }
    }

    /// <summary>Hands a page over; the checkpoint commits with whatever the handler wrote. Returns the handler's failure.</summary>
    private async Task<Exception?> HandleAsync(NpgsqlConnection connection, List<RecordedEvent> page, CancellationToken cancellationToken)
    {
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        try
        {
            await _handler.HandleAsync(new SubscriptionPage(Name, page, connection, transaction), cancellationToken);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested && connection.FullState == ConnectionState.Open)
        {
            await transaction.RollbackAsync(cancellationToken);
            return e;
        }
        var last = page[^1].Position;
        await ExecuteAsync(connection, _store.Sql.SaveCheckpoint, cancellationToken,
            Text(Name), new NpgsqlParameter { Value = last.TransactionId, NpgsqlDbType = NpgsqlDbType.Xid8 },
            new NpgsqlParameter { Value = last.Sequence, NpgsqlDbType = NpgsqlDbType.Bigint });
        await transaction.CommitAsync(cancellationToken);
        return null;
    }

    private async Task<(SubscriptionPosition Position, SubscriptionState State, int Attempts)> ReadCheckpointAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(_store.Sql.ReadSubscription, connection);
        command.Parameters.Add(Text(Name));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken)) throw new InvalidOperationException($"Subscription {Name} has no checkpoint row.");
        return (new SubscriptionPosition(reader.GetFieldValue<ulong>(0), reader.GetInt64(1)), EventStore.ParseState(reader.GetString(2)), reader.GetInt32(3));
    }

    private async Task<List<RecordedEvent>> ReadPageAsync(NpgsqlConnection connection, SubscriptionPosition after, int pageSize, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(_store.Sql.ReadSubscriptionPage, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = after.TransactionId, NpgsqlDbType = NpgsqlDbType.Xid8 });
        command.Parameters.Add(new NpgsqlParameter { Value = after.Sequence, NpgsqlDbType = NpgsqlDbType.Bigint });
        command.Parameters.Add(new NpgsqlParameter { Value = pageSize, NpgsqlDbType = NpgsqlDbType.Integer });
        await command.PrepareAsync(cancellationToken);
        await using var reader = await command.ExecuteReaderAsync(CommandBehavior.SequentialAccess, cancellationToken);
        var page = new List<RecordedEvent>(Math.Min(pageSize, 1000));
        while (await reader.ReadAsync(cancellationToken)) page.Add(_store.ReadEvent(reader));
        return page;
    }

    private Task RecordFailureAsync(NpgsqlConnection connection, SubscriptionState state, int attempts, RecordedEvent failing, Exception failure, CancellationToken cancellationToken)
    {
        var error = $"{failure.GetType().FullName}: {failure.Message}";
        return ExecuteAsync(connection, _store.Sql.RecordSubscriptionFailure, cancellationToken,
            Text(Name),
            Text(state == SubscriptionState.Parked ? "parked" : "retrying"),
            new NpgsqlParameter { Value = attempts, NpgsqlDbType = NpgsqlDbType.Integer },
            new NpgsqlParameter { Value = failing.Sequence, NpgsqlDbType = NpgsqlDbType.Bigint },
            Text(error.Length > ErrorLengthKept ? error[..ErrorLengthKept] : error));
    }

    private static NpgsqlParameter Text(string value) => new() { Value = value, NpgsqlDbType = NpgsqlDbType.Text };

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken, params NpgsqlParameter[] parameters)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddRange(parameters);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
