using Npgsql;
using Patchwork.Testing;

namespace Patchwork.EventStore.Tests;

public sealed class SubscriptionFailoverTests(PostgresSchema schema) : IClassFixture<PostgresSchema>, IAsyncLifetime
{
    private const string Relay = "partner-relay";
    private EventStore _store = null!;

    public async Task InitializeAsync() => _store = await TestStores.StartAsync(schema);

    public async Task DisposeAsync() => await _store.DisposeAsync();

    [Fact]
    public async Task When_the_leaders_connection_is_killed_the_other_runner_carries_on_from_the_checkpoint_and_nothing_is_lost()
    {
        var (first, second) = (new SeenEvents(), new SeenEvents());
        // The first leader would retry only after a minute, so the takeover is the second runner's.
        var slowToRetry = RunningSubscription.Quick();
        slowToRetry.LeadershipRetryInterval = TimeSpan.FromMinutes(1);
        await using var leader = new RunningSubscription(_store, Relay, first, slowToRetry);
        await Eventually.Within(TimeSpan.FromSeconds(10), () => Task.FromResult(leader.Runner.IsLeading), "the first runner to lead");
        await using var standby = new RunningSubscription(_store, Relay, second);

        var before = await AppendNotesAsync(100);
        await Eventually.Within(TimeSpan.FromSeconds(30), async () => first.Count == 100 && await PendingAsync() == 0,
            "the leader to handle and checkpoint the first 100 events");
        standby.Runner.IsLeading.ShouldBeFalse();
        (await _store.GetSubscriptionStatusAsync(Relay))!.HasLeader.ShouldBeTrue();

        await TerminateBackendAsync(leader.Runner.LeaderProcessId);
        await Eventually.Within(TimeSpan.FromSeconds(10), () => Task.FromResult(standby.Runner.IsLeading), "the standby to take the lead");
        var after = await AppendNotesAsync(100);
        await Eventually.Within(TimeSpan.FromSeconds(30), () => Task.FromResult(second.Count == 100), "the new leader to handle the next 100 events");

        leader.Runner.IsLeading.ShouldBeFalse();
        first.TimesSeen.Keys.ShouldBe(before, ignoreOrder: true);
        second.TimesSeen.Keys.ShouldBe(after, ignoreOrder: true);
        (await PendingAsync()).ShouldBe(0);
    }

    private async Task<List<Guid>> AppendNotesAsync(int count)
    {
        var stream = Guid.CreateVersion7();
        for (var number = 0; number < count; number += 10)
        {
            var session = _store.OpenSession();
            session.Append(stream, ExpectedVersion.Any, Enumerable.Range(number, 10).Select(n => new NoteRecorded(0, n)));
            await session.SaveChangesAsync();
        }
        return (await _store.OpenSession().FetchStreamAsync(stream)).Select(e => e.Id).ToList();
    }

    private async Task<long> PendingAsync() => (await _store.GetSubscriptionStatusAsync(Relay))?.PendingEvents ?? -1;

    private static async Task TerminateBackendAsync(int processId)
    {
        processId.ShouldNotBe(0);
        await using var connection = new NpgsqlConnection(LocalServers.PostgresSuperuser);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT pg_terminate_backend($1)", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = processId });
        (await command.ExecuteScalarAsync()).ShouldBe(true);
    }
}
