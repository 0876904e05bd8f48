using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Patchwork.Testing;

namespace Patchwork.EventStore.Tests;

/// <summary>The relays' contract with the daemon: a page cut short by a crash comes again, with the same message ids.</summary>
public sealed class RelayKilledMidPageTests(PostgresSchema schema) : IClassFixture<PostgresSchema>, IAsyncLifetime
{
    private const string Relay = "partner-relay";
    private EventStore _store = null!;

    public async Task InitializeAsync() => _store = await TestStores.StartAsync(schema);

    public async Task DisposeAsync() => await _store.DisposeAsync();

    [Fact]
    public async Task A_relay_killed_mid_page_loses_nothing_and_repeats_the_page_with_the_same_message_ids()
    {
        var stream = Guid.CreateVersion7();
        (await TestStores.WriteAsync(_store, e => e.StartStream(stream, Enumerable.Range(0, 40).Select(n => (object)new NoteRecorded(0, n)).ToArray()))).ShouldBeTrue();
        var notes = (await TestStores.StreamAsync(_store, stream)).Select(e => e.Id).ToList();

        var broker = new Broker();
        var options = RunningSubscription.Quick();
        options.PageSize = 100;
        var dying = new Publisher(broker, dieAfter: 15);
        await using (new RunningSubscription(_store, Relay, dying, options))
        {
            await dying.Died.Task.WaitAsync(TimeSpan.FromSeconds(30));
        }
        var firstRun = broker.Sent.ToList();
        firstRun.Count.ShouldBe(15);

        await using (new RunningSubscription(_store, Relay, new Publisher(broker, dieAfter: int.MaxValue), options))
        {
            await Eventually.Within(TimeSpan.FromSeconds(30), async () => (await _store.GetSubscriptionStatusAsync(Relay))?.PendingEvents == 0,
                "the restarted relay to finish the page and record its progress");
        }

        var expected = notes.Select(Publisher.MessageIdFor).ToList();
        broker.Sent.Distinct().ShouldBe(expected, ignoreOrder: true, "nothing lost");
        broker.Sent.Skip(15).ShouldBe(expected, "the whole page again, in order, with the ids the first run used");
        firstRun.ShouldBe(expected.Take(15));
    }

    private sealed class Broker
    {
        public ConcurrentQueue<Guid> Sent { get; } = new();
    }

    /// <summary>Publishes each event with a message id derived from the event id; dies (hangs until killed) after a number of sends.</summary>
    private sealed class Publisher(Broker broker, int dieAfter) : ISubscriptionHandler
    {
        private int _sent;

        public TaskCompletionSource Died { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public static Guid MessageIdFor(Guid eventId) =>
            new(SHA256.HashData(Encoding.UTF8.GetBytes($"test.notice|{eventId:N}")).AsSpan(0, 16));

        public async Task HandleAsync(SubscriptionPage page, CancellationToken cancellationToken)
        {
            foreach (var e in page.Events)
            {
                if (_sent == dieAfter)
                {
                    Died.TrySetResult();
                    await Task.Delay(Timeout.Infinite, cancellationToken);
                }
                broker.Sent.Enqueue(MessageIdFor(e.Id));
                _sent++;
            }
        }
    }
}
