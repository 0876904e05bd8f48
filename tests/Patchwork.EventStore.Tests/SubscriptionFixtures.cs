namespace Patchwork.EventStore.Tests;

[EventName("test.note-recorded.v1")]
public sealed record NoteRecorded(int Writer, int Number);

[EventName("test.slow-note-recorded.v1")]
public sealed record SlowNoteRecorded(int Writer, int Number);

/// <summary>
/// A subscription handler that remembers what it saw: how often each event arrived and whether each
/// stream arrived in version order. It records a page only when the whole page succeeds, as a handler
/// writing through the page's transaction would.
/// </summary>
internal sealed class SeenEvents : ISubscriptionHandler
{
    private readonly Lock _lock = new();
    private readonly Dictionary<Guid, int> _timesSeen = [];
    private readonly Dictionary<Guid, long> _lastVersion = [];
    private readonly List<RecordedEvent> _inOrder = [];
    private readonly List<string> _outOfOrder = [];

    /// <summary>Events the handler refuses, as a broken downstream would.</summary>
    public Func<RecordedEvent, bool> Refuses { get; set; } = _ => false;

    public int Attempts { get; private set; }

    public Task HandleAsync(SubscriptionPage page, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            Attempts++;
            if (page.Events.FirstOrDefault(Refuses) is { } refused)
                throw new InvalidOperationException($"downstream refused event {refused.Sequence}");
            foreach (var e in page.Events)
            {
                _timesSeen[e.Id] = _timesSeen.GetValueOrDefault(e.Id) + 1;
                var last = _lastVersion.GetValueOrDefault(e.StreamId);
                if (e.Version != last + 1) _outOfOrder.Add($"stream {e.StreamId}: version {e.Version} after {last}");
                _lastVersion[e.StreamId] = Math.Max(last, e.Version);
                _inOrder.Add(e);
            }
        }
        return Task.CompletedTask;
    }

    public int Count { get { lock (_lock) return _timesSeen.Count; } }

    public IReadOnlyDictionary<Guid, int> TimesSeen { get { lock (_lock) return new Dictionary<Guid, int>(_timesSeen); } }

    public IReadOnlyList<RecordedEvent> InOrder { get { lock (_lock) return [.. _inOrder]; } }

    public IReadOnlyList<string> OutOfOrder { get { lock (_lock) return [.. _outOfOrder]; } }
}

/// <summary>A runner running in the background for the length of a test.</summary>
internal sealed class RunningSubscription : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _running;

    public RunningSubscription(EventStore store, string name, ISubscriptionHandler handler, SubscriptionOptions? options = null)
    {
        Runner = store.CreateSubscriptionRunner(name, handler, options ?? Quick());
        _running = Task.Run(() => Runner.RunAsync(_stop.Token));
    }

    public SubscriptionRunner Runner { get; }

    /// <summary>Test timings: fast takeover and retries so a test never waits long.</summary>
    public static SubscriptionOptions Quick() => new()
    {
        PageSize = 100,
        PollInterval = TimeSpan.FromMilliseconds(250),
        LeadershipRetryInterval = TimeSpan.FromMilliseconds(100),
        FirstRetryDelay = TimeSpan.FromMilliseconds(50),
        MaxRetryDelay = TimeSpan.FromMilliseconds(400),
    };

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _running;
        _stop.Dispose();
    }
}
