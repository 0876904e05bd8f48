using Npgsql;

namespace Patchwork.EventStore;

/// <summary>Handles the log in pages; the subscription's checkpoint moves only after it returns.</summary>
public interface ISubscriptionHandler
{
    /// <summary>
    /// Throwing keeps the checkpoint where it was: the page is retried with back-off and parked after too many
    /// attempts, until resumed.
    /// </summary>
    Task HandleAsync(SubscriptionPage page, CancellationToken cancellationToken);
}

/// <summary>
/// Events to handle, in sequence order, none skipped. Work done through <see cref="Connection"/> and
/// <see cref="Transaction"/> commits before Marten records the subscription's progress: a page cut short by a crash
/// comes again, so those writes must be idempotent. What the handler decides from state of its own that the page changes
/// (who has been told what) belongs in <see cref="WithCheckpoint"/> instead, so a page that comes again is decided from the
/// same state as the first time.
/// </summary>
public sealed record SubscriptionPage(
    string Subscription,
    IReadOnlyList<RecordedEvent> Events,
    NpgsqlConnection Connection,
    NpgsqlTransaction Transaction)
{
    private readonly List<NpgsqlBatchCommand> _withCheckpoint = [];

    /// <summary>0 the first time this runner hands the page over; more when the page is being retried after a failure.</summary>
    public int Attempt { get; init; }

    /// <summary>
    /// Queues a statement for the transaction in which Marten records the subscription's progress past this page, after its
    /// own writes: it commits with the checkpoint or not at all. Only a page whose handler returns has its statements run; a
    /// failed attempt's are dropped with it. The statements run in the order queued, in one round trip.
    /// </summary>
    public void WithCheckpoint(NpgsqlBatchCommand statement)
    {
        ArgumentNullException.ThrowIfNull(statement);
        _withCheckpoint.Add(statement);
    }

    internal IReadOnlyList<NpgsqlBatchCommand> CheckpointStatements => _withCheckpoint;
}

/// <summary>A point in the log: the sequence of the last event a subscription has handled.</summary>
public readonly record struct SubscriptionPosition(long Sequence)
{
    public static SubscriptionPosition Start { get; } = new(0);
}

public enum SubscriptionState
{
    Running,
    Retrying,
    Parked,
}

/// <summary>A subscription's health: where it stands, how far behind, whether some node leads it, and what is failing.</summary>
public sealed record SubscriptionStatus(
    string Name,
    SubscriptionPosition Position,
    SubscriptionState State,
    int Attempts,
    string? Error,
    long? FailingSequence,
    Guid? FailingEventId,
    string? FailingEventName,
    Guid? FailingStreamId,
    long PendingEvents,
    DateTimeOffset? OldestPendingAt,
    bool HasLeader,
    DateTimeOffset UpdatedAt);

/// <summary>How a subscription runner pages, waits, retries and competes for leadership.</summary>
public sealed class SubscriptionOptions
{
    public int PageSize { get; set; } = 500;

    /// <summary>How long the daemon waits for a notification before looking at the log anyway.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How often a runner that is not the leader tries to become it (Marten's leadership polling).</summary>
    public TimeSpan LeadershipRetryInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Attempts at one event before the subscription parks on it.</summary>
    public int MaxAttempts { get; set; } = 5;

    public TimeSpan FirstRetryDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromMinutes(1);

    internal TimeSpan RetryDelay(int attempts)
    {
        var doubled = FirstRetryDelay.TotalMilliseconds * Math.Pow(2, Math.Max(0, attempts - 1));
        return TimeSpan.FromMilliseconds(Math.Min(doubled, MaxRetryDelay.TotalMilliseconds));
    }
}

/// <summary>The daemon's high-water mark, the events appended above it, and when the oldest of those was appended.</summary>
public sealed record HighWaterMark(long Sequence, long EventsAbove, DateTimeOffset? OldestAboveAt);
