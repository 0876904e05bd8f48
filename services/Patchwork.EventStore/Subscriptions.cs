using Npgsql;

namespace Patchwork.EventStore;

/// <summary>Handles the log in pages; the subscription's checkpoint moves only after it returns.</summary>
public interface ISubscriptionHandler
{
    /// <summary>
    /// Throwing keeps the checkpoint where it was: the page is retried with back-off, narrowed to the
    /// failing event, and parked after too many attempts. Write to the page's transaction only after any
    /// wait on another system (a broker's confirm): a write gives the transaction an id, and while an id
    /// is open no subscription anywhere in the cluster reads past it.
    /// </summary>
    Task HandleAsync(SubscriptionPage page, CancellationToken cancellationToken);
}

/// <summary>
/// Events to handle, in commit-horizon order. Work done through <see cref="Connection"/> and
/// <see cref="Transaction"/> commits atomically with the checkpoint, which makes database effects exactly-once.
/// </summary>
public sealed record SubscriptionPage(
    string Subscription,
    IReadOnlyList<RecordedEvent> Events,
    NpgsqlConnection Connection,
    NpgsqlTransaction Transaction);

/// <summary>A point in the log in the order subscriptions read it: transaction id, then sequence.</summary>
public readonly record struct SubscriptionPosition(ulong TransactionId, long Sequence)
{
    public static SubscriptionPosition Start { get; } = new(0, 0);

    public bool IsBefore(SubscriptionPosition other) =>
        TransactionId < other.TransactionId || (TransactionId == other.TransactionId && Sequence < other.Sequence);
}

public enum SubscriptionState
{
    Running,
    Retrying,
    Parked,
}

/// <summary>A subscription's health: where it stands, how far behind, whether it is led, and what is failing.</summary>
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

    /// <summary>How long to wait for a notification before looking at the log anyway.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How often a runner that is not the leader tries to become it.</summary>
    public TimeSpan LeadershipRetryInterval { get; set; } = TimeSpan.FromSeconds(2);

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
