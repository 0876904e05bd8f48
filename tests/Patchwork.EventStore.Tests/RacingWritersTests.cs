using System.Collections.Concurrent;
using Patchwork.Testing;

namespace Patchwork.EventStore.Tests;

public sealed class RacingWritersTests(PostgresSchema schema) : IClassFixture<PostgresSchema>, IAsyncLifetime
{
    private const int Writers = 32;
    private const int AttemptsEach = 10;
    private EventStore _store = null!;

    public async Task InitializeAsync() => _store = await TestStores.StartAsync(schema);

    public async Task DisposeAsync() => await _store.DisposeAsync();

    [Fact]
    public async Task Thirty_two_writers_racing_on_one_stream_each_commit_or_conflict_and_losers_leave_no_gaps_in_the_sequence()
    {
        var team = Guid.CreateVersion7();
        (await TestStores.WriteAsync(_store, e => e.StartStream(team, new TeamFormed(Guid.CreateVersion7())))).ShouldBeTrue();
        var outcomes = new ConcurrentBag<(long Read, bool Committed, long After)>();
        var together = new StartingLine(Writers);

        await Task.WhenAll(Enumerable.Range(0, Writers).Select(writer => Task.Run(async () =>
        {
            for (var attempt = 0; attempt < AttemptsEach; attempt++)
            {
                // As a client command does: read the stream's version, decide, append expecting the stream not to have moved.
                await using var session = _store.OpenWriteSession(EventMetadata.None);
                var read = (await session.Events.FetchStreamStateAsync(team))!.Version;
                await together.ReachedAsync();
                session.Events.Append(team, read + 1, new PractitionerJoined(Guid.CreateVersion7(), $"writer {writer}"));
                try
                {
                    await session.SaveChangesAsync();
                    outcomes.Add((read, true, read + 1));
                }
                catch (Exception e) when (ExceptionChain.IsConcurrencyRefusal(e))
                {
                    await using var query = _store.Marten.QuerySession();
                    outcomes.Add((read, false, (await query.Events.FetchStreamStateAsync(team))!.Version));
                }
            }
        })));

        var commits = outcomes.Count(o => o.Committed);
        var conflicts = outcomes.Where(o => !o.Committed).ToList();
        (commits + conflicts.Count).ShouldBe(Writers * AttemptsEach);
        commits.ShouldBeGreaterThanOrEqualTo(AttemptsEach);
        conflicts.ShouldNotBeEmpty();
        conflicts.ShouldAllBe(c => c.After > c.Read, "a writer is refused only when another moved the stream past what it read");
        var events = await TestStores.StreamAsync(_store, team);
        events[^1].Version.ShouldBe(1 + commits);
        events.Select(e => e.Version).ShouldBe(Enumerable.Range(1, 1 + commits).Select(v => (long)v));
        events.Select(e => e.Sequence).ShouldBe(Enumerable.Range(1, 1 + commits).Select(s => (long)s));
        (await TestStores.ScalarAsync<long>(_store, "SELECT pg_sequence_last_value('{schema}.mt_events_sequence'::regclass)"))
            .ShouldBe(1 + commits);
    }

    /// <summary>Releases a round of writers only once all of them have read the stream, so every round is a real race.</summary>
    private sealed class StartingLine(int writers)
    {
        private readonly Lock _gate = new();
        private int _arrived;
        private TaskCompletionSource _round = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task ReachedAsync()
        {
            lock (_gate)
            {
                var round = _round;
                if (++_arrived < writers) return round.Task;
                _arrived = 0;
                _round = new(TaskCreationOptions.RunContinuationsAsynchronously);
                round.SetResult();
                return round.Task;
            }
        }
    }
}
