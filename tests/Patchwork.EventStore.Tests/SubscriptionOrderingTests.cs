using Patchwork.Testing;

namespace Patchwork.EventStore.Tests;

public sealed class SubscriptionOrderingTests(PostgresSchema schema) : IClassFixture<PostgresSchema>, IAsyncLifetime
{
    private const int Writers = 64;
    private const int EventsEach = 200;
    private const int Streams = 500;
    private static readonly TimeSpan HeldOpenFor = TimeSpan.FromSeconds(2);
    private EventStore _store = null!;

    public async Task InitializeAsync() =>
        _store = await TestStores.StartAsync(schema);

    public async Task DisposeAsync() => await _store.DisposeAsync();

    [Fact]
    public async Task Every_subscription_sees_every_event_once_and_each_stream_in_order_while_64_writers_commit_out_of_order()
    {
        var streams = Enumerable.Range(0, Streams).Select(_ => Guid.CreateVersion7()).ToArray();
        var (audit, relay) = (new SeenEvents(), new SeenEvents());
        await using var auditing = new RunningSubscription(_store, "audit", audit);
        await using var relaying = new RunningSubscription(_store, "relay", relay);

        await Task.WhenAll(Enumerable.Range(0, Writers).Select(writer => Task.Run(async () =>
        {
            var random = new Random(writer);
            for (var number = 0; number < EventsEach; number++)
            {
                // Every 16th writer holds two of its transactions open for seconds after writing: late committers.
                object note = writer % 16 == 0 && number % 100 == 50 ? new SlowNoteRecorded(writer, number) : new NoteRecorded(writer, number);
                await using var write = await _store.OpenWriteTransactionAsync(EventMetadata.None);
                write.Session.Events.Append(streams[random.Next(Streams)], note);
                // A slow writer holds its transaction open after its events are written, before it commits.
                if (note is SlowNoteRecorded) write.AfterSave((_, _, cancellationToken) => Task.Delay(HeldOpenFor, cancellationToken));
                (await write.CommitAsync(default)).ShouldBeTrue("an append at any version waits its turn on the stream's lock");
            }
        })));

        const int Total = Writers * EventsEach;
        await Eventually.Within(TimeSpan.FromSeconds(60), () => Task.FromResult(audit.Count == Total && relay.Count == Total),
            $"both subscriptions to see {Total} events");
        var committed = await TestStores.ScalarAsync<long>(_store, "SELECT count(*) FROM {schema}.mt_events");
        committed.ShouldBe(Total);
        foreach (var seen in new[] { audit, relay })
        {
            seen.TimesSeen.Values.ShouldAllBe(times => times == 1);
            seen.OutOfOrder.ShouldBeEmpty();
        }
        var slow = audit.InOrder.Where(e => e.Data is SlowNoteRecorded).ToList();
        slow.Count.ShouldBe(8);
    }
}
