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
        var start = _store.OpenSession();
        start.StartStream(team, "team", new TeamFormed(Guid.CreateVersion7()));
        await start.SaveChangesAsync();
        var outcomes = new ConcurrentBag<SaveResult>();
        var together = new StartingLine(Writers);

        await Task.WhenAll(Enumerable.Range(0, Writers).Select(writer => Task.Run(async () =>
        {
            for (var attempt = 0; attempt < AttemptsEach; attempt++)
            {
                var session = _store.OpenSession();
                var current = await session.FetchForWritingAsync<Team?>(team, null, Team.Evolve);
                await together.ReachedAsync();
                session.Append(team, current.ExpectedVersion, new PractitionerJoined(Guid.CreateVersion7(), $"writer {writer}"));
                outcomes.Add(await session.SaveChangesAsync());
            }
        })));

        var commits = outcomes.Count(o => o.IsSaved);
        var conflicts = outcomes.Select(o => o.Rejection).OfType<AppendRejection.VersionConflict>().ToList();
        (commits + conflicts.Count).ShouldBe(Writers * AttemptsEach);
        commits.ShouldBeGreaterThanOrEqualTo(AttemptsEach);
        conflicts.ShouldNotBeEmpty();
        conflicts.ShouldAllBe(c => c.Actual > c.Expected);
        var events = await _store.OpenSession().FetchStreamAsync(team);
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
