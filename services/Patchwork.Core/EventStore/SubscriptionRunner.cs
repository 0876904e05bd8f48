using System.Security.Cryptography;
using System.Text;
using JasperFx.Events;
using JasperFx.Events.Daemon;
using JasperFx.Events.Projections;
using Marten;
using Marten.Events.Daemon.Coordination;
using Marten.Services;
using Marten.Subscriptions;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Patchwork.EventStore;

/// <summary>
/// Runs one named subscription as a Marten subscription under the async daemon in HotCold mode: any number of runners
/// may run it on any number of nodes; the one holding the subscription's advisory lock leads, the others wait to take
/// over. Marten wakes it by LISTEN/NOTIFY on append, never reads past a gap a live transaction could still fill, and
/// records progress after the handler returns: delivery is at-least-once.
/// </summary>
public sealed class SubscriptionRunner
{
    private readonly EventStore _store;
    private readonly ISubscriptionHandler _handler;
    private readonly SubscriptionOptions _options;
    private readonly ILogger _log;
    private readonly Lock _lock = new();
    private TaskCompletionSource _resumed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _leading;

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

    /// <summary>Whether this runner's daemon is running the subscription.</summary>
    public bool IsLeading => Volatile.Read(ref _leading) != 0;

    internal SubscriptionFailure? Failure { get; private set; }

    internal bool HasStarted { get; private set; }

    /// <summary>Competes for leadership and, while leading, handles the log until cancelled.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        HasStarted = true;
        var options = MartenConfiguration.For(_store.DataSource, _store.Options, _store.Clock);
        options.Projections.AsyncMode = DaemonMode.HotCold;
        // One lock per subscription, so the feed relay and the partner relay may lead from different nodes.
        options.Projections.DaemonLockId = LockIdFor(_store.Schema, Name);
        // A leader that loses its lock's connection stops its agents, so two nodes never relay at once.
        options.Events.UseMonitoredAdvisoryLock = true;
        options.Projections.LeadershipPollingTime = (int)_options.LeadershipRetryInterval.TotalMilliseconds;
        options.Projections.SlowPollingTime = _options.PollInterval;
        options.Projections.Subscribe(new Subscription(this), subscription =>
        {
            subscription.Options.BatchSize = _options.PageSize;
        });
        using var marten = new DocumentStore(options);
        var coordinator = new ProjectionCoordinator(marten, _store.Loggers.CreateLogger<ProjectionCoordinator>());
        await coordinator.StartAsync(CancellationToken.None);
        try
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            await coordinator.StopAsync(CancellationToken.None);
            await coordinator.DisposeAsync();
            Volatile.Write(ref _leading, 0);
        }
    }

    /// <summary>The advisory lock key Marten's leader holds for this subscription (as Marten derives it from the base below).</summary>
    internal static long LeaderLockFor(string schema, string name) =>
        ProjectionLockIds.Compute(schema, new ShardName(name, ShardName.All, 1), LockIdFor(schema, name));

    /// <summary>The backend holding the subscription's leader lock, or 0 when nobody leads.</summary>
    internal static async Task<int> LeaderOfAsync(NpgsqlDataSource dataSource, long lockKey, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND ((classid::bigint << 32) | objid::bigint) = $1 LIMIT 1");
        command.Parameters.Add(new NpgsqlParameter { Value = lockKey });
        return await command.ExecuteScalarAsync(cancellationToken) is int pid ? pid : 0;
    }

    /// <summary>The base of the advisory lock Marten's leader holds for this subscription: stable across nodes and restarts.</summary>
    internal static int LockIdFor(string schema, string name) =>
        BitConverter.ToInt32(SHA256.HashData(Encoding.UTF8.GetBytes($"patchwork.subscription|{schema}|{name}")), 0) & 0x3FFF_FFFF;

    internal bool Resume()
    {
        lock (_lock)
        {
            if (Failure?.State != SubscriptionState.Parked) return false;
            _resumed.TrySetResult();
            return true;
        }
    }

    /// <summary>
    /// Hands a page to the handler in a transaction of its own, retrying with back-off until it succeeds; returns the
    /// statements the successful attempt queued to commit with the checkpoint.
    /// </summary>
    private async Task<IReadOnlyList<NpgsqlBatchCommand>> HandleAsync(IReadOnlyList<IEvent> events, CancellationToken cancellationToken)
    {
        Volatile.Write(ref _leading, 1);
        var page = events.Select(_store.ToRecorded).ToList();
        if (page.Count == 0) return [];
        var attempts = 0;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            Exception? failure;
            SubscriptionPage? handled = null;
            await using (var connection = await _store.DataSource.OpenConnectionAsync(cancellationToken))
            await using (var transaction = await connection.BeginTransactionAsync(cancellationToken))
            {
                try
                {
                    var attempt = new SubscriptionPage(Name, page, connection, transaction) { Attempt = attempts };
                    await _handler.HandleAsync(attempt, cancellationToken);
                    await transaction.CommitAsync(cancellationToken);
                    (handled, failure) = (attempt, null);
                }
                catch (Exception e) when (!cancellationToken.IsCancellationRequested)
                {
                    failure = e;
                }
            }
            if (failure is null)
            {
                Failure = null;
                return handled!.CheckpointStatements;
            }

            attempts++;
            var parked = attempts >= _options.MaxAttempts;
            Task resumed;
            lock (_lock)
            {
                Failure = new SubscriptionFailure(parked ? SubscriptionState.Parked : SubscriptionState.Retrying, attempts,
                    $"{failure.GetType().FullName}: {failure.Message}", page[0].Sequence, page[0].Id, page[0].Name, page[0].StreamId);
                if (_resumed.Task.IsCompleted) _resumed = new(TaskCreationOptions.RunContinuationsAsynchronously);
                resumed = _resumed.Task;
            }
            if (parked)
            {
                _log.LogError(failure, "Subscription {Subscription} parked on event {Sequence} after {Attempts} attempts", Name, page[0].Sequence, attempts);
                await resumed.WaitAsync(cancellationToken);
                attempts = 0;
                continue;
            }
            _log.LogWarning(failure, "Subscription {Subscription} failed on event {Sequence} (attempt {Attempts}); retrying", Name, page[0].Sequence, attempts);
            await Task.Delay(_options.RetryDelay(attempts), _store.Clock, cancellationToken);
        }
    }

    internal sealed record SubscriptionFailure(SubscriptionState State, int Attempts, string Error, long Sequence, Guid EventId, string EventName, Guid StreamId);

    /// <summary>The Marten side: the daemon hands each page here and records progress once it returns.</summary>
    private sealed class Subscription : SubscriptionBase
    {
        private readonly SubscriptionRunner _runner;

        public Subscription(SubscriptionRunner runner)
        {
            _runner = runner;
            Name = runner.Name;
        }

        public override async Task<IChangeListener> ProcessEventsAsync(EventRange page, ISubscriptionController controller,
            IDocumentOperations operations, CancellationToken cancellationToken)
        {
            var statements = await _runner.HandleAsync(page.Events, cancellationToken);
            if (statements.Count > 0)
            {
                // Marten runs its transaction's participants after its own writes (the progress) and before the commit.
                if (operations is not ITransactionParticipantRegistrar transaction)
                    throw new InvalidOperationException("Marten's subscription session takes no transaction participant: the page's writes could not commit with its checkpoint.");
                transaction.AddTransactionParticipant(new StatementsBeforeCommit(statements));
            }
            return NothingAfterCommit.Instance;
        }
    }

    private sealed class NothingAfterCommit : IChangeListener
    {
        public static NothingAfterCommit Instance { get; } = new();

        public Task AfterCommitAsync(IDocumentSession session, IChangeSet commit, CancellationToken token) => Task.CompletedTask;

        public Task BeforeCommitAsync(IDocumentSession session, IChangeSet commit, CancellationToken token) => Task.CompletedTask;
    }
}
