using Patchwork.Testing;

namespace Patchwork.EventStore.Tests;

public sealed class SubscriptionFailureTests(PostgresSchema schema) : IClassFixture<PostgresSchema>, IAsyncLifetime
{
    private EventStore _store = null!;

    public async Task InitializeAsync() => _store = await TestStores.StartAsync(schema);

    public async Task DisposeAsync() => await _store.DisposeAsync();

    [Fact]
    public async Task A_handler_that_keeps_failing_is_retried_with_back_off_then_parked_on_its_page_for_all_to_see()
    {
        var notes = await AppendNotesAsync(10);
        var poison = notes[6];
        var handler = new SeenEvents { Refuses = e => e.Id == poison };
        var options = RunningSubscription.Quick();
        options.MaxAttempts = 3;

        SubscriptionStatus? parked;
        await using (new RunningSubscription(_store, "feed-relay", handler, options))
        {
            parked = await Eventually.Within(TimeSpan.FromSeconds(30), async () => await _store.GetSubscriptionStatusAsync("feed-relay"),
                s => s is { State: SubscriptionState.Parked }, "the subscription to park");
            var attemptsWhenParked = handler.Attempts;
            // Parked means no hot loop, even while appends keep waking the daemon.
            var watched = System.Diagnostics.Stopwatch.StartNew();
            var woken = 0;
            await Eventually.Within(TimeSpan.FromSeconds(120), async () =>
            {
                await AppendNotesAsync(1);
                woken++;
                return watched.Elapsed >= options.PollInterval * 8 && woken >= 5;
            }, "eight poll intervals and five appends while parked");
            (await _store.GetSubscriptionStatusAsync("feed-relay"))!.HasLeader.ShouldBeTrue("the runner keeps leading while parked");
            handler.Attempts.ShouldBe(attemptsWhenParked, $"no attempt in {watched.Elapsed.TotalSeconds:0.0} s parked");
        }

        parked.ShouldNotBeNull();
        // Marten hands the page over whole; the failing page starts at the first note, none of which counts as handled.
        parked.FailingEventId.ShouldBe(notes[0]);
        parked.FailingEventName.ShouldBe("test.note-recorded.v1");
        parked.Attempts.ShouldBe(3);
        parked.Error.ShouldNotBeNull().ShouldContain("downstream refused event");
        parked.PendingEvents.ShouldBeGreaterThanOrEqualTo(10);
        parked.OldestPendingAt.ShouldNotBeNull();
        handler.InOrder.Select(e => e.Id).Where(notes.Contains).ShouldBeEmpty();
    }

    [Fact]
    public async Task A_resumed_subscription_retries_its_failing_event_and_carries_on()
    {
        var notes = await AppendNotesAsync(5);
        var handler = new SeenEvents { Refuses = e => e.Id == notes[2] };
        var options = RunningSubscription.Quick();
        options.MaxAttempts = 2;
        await using var running = new RunningSubscription(_store, "archive", handler, options);
        await Eventually.Within(TimeSpan.FromSeconds(20), async () => await _store.GetSubscriptionStatusAsync("archive"),
            s => s is { State: SubscriptionState.Parked }, "the subscription to park");

        handler.Refuses = _ => false;
        (await _store.ResumeSubscriptionAsync("archive")).ShouldBeTrue();

        var caughtUp = await Eventually.Within(TimeSpan.FromSeconds(20), async () => await _store.GetSubscriptionStatusAsync("archive"),
            s => s is { PendingEvents: 0 }, "the subscription to catch up");
        caughtUp.ShouldNotBeNull().State.ShouldBe(SubscriptionState.Running);
        caughtUp.Error.ShouldBeNull();
        handler.InOrder.Select(e => e.Id).Where(notes.Contains).ShouldBe(notes);
    }

    [Fact]
    public async Task A_subscription_that_has_never_run_reports_nothing()
    {
        (await _store.GetSubscriptionStatusAsync("never-started")).ShouldBeNull();
    }

    /// <summary>Other tests in this class append to the same log; each test looks only at its own notes.</summary>
    private async Task<List<Guid>> AppendNotesAsync(int count)
    {
        var stream = Guid.CreateVersion7();
        (await TestStores.WriteAsync(_store, e => e.StartStream(stream, Enumerable.Range(0, count).Select(n => (object)new NoteRecorded(0, n)).ToArray()))).ShouldBeTrue();
        return (await TestStores.StreamAsync(_store, stream)).Select(e => e.Id).ToList();
    }
}
