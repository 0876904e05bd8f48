using Npgsql;
using Patchwork.Testing;

namespace Patchwork.EventStore.Tests;

/// <summary>
/// Saves that queue while the store's one writer is busy share a transaction. Each test holds that writer on a stream
/// locked from outside, queues the saves it means to group, then lets go, so the grouping is certain, not a matter of timing.
/// </summary>
public sealed class GroupCommitTests(PostgresSchema schema) : IClassFixture<PostgresSchema>, IAsyncLifetime
{
    private const string Refused = "role the read model refuses";
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);
    private readonly Joiners _joiners = new(schema.Name);
    private EventStore _store = null!;

    public async Task InitializeAsync()
    {
        _store = await TestStores.StartAsync(schema, options =>
        {
            options.GroupCommitWriters = 1;
            options.AddInlineProjection(_joiners);
        });
        await TestStores.AsOwnerAsync(schema, """
            CREATE TABLE IF NOT EXISTS {schema}.joiners (team uuid NOT NULL, practitioner uuid PRIMARY KEY, role text NOT NULL);
            GRANT SELECT, INSERT ON {schema}.joiners TO patchwork_app;
            """);
    }

    public async Task DisposeAsync() => await _store.DisposeAsync();

    [Fact]
    public async Task Saves_queued_together_commit_in_one_transaction_and_each_hears_its_own_outcome()
    {
        var teams = await StartTeamsAsync(6);
        var (fresh, late) = (Guid.CreateVersion7(), teams[5]);

        var queued = await WhileTheWriterIsHeldAsync(() =>
        [
            Save(s => s.Append(teams[0], 1, new PractitionerJoined(Guid.CreateVersion7(), "school nurse"))),
            Save(s => s.Append(teams[1], 1, new PractitionerJoined(Guid.CreateVersion7(), "police officer"))),
            // Two saves on one stream at the version both read: the first in the queue wins, as if they had run apart.
            Save(s => s.Append(teams[2], 1, new PractitionerJoined(Guid.CreateVersion7(), "first to teams[2]"))),
            Save(s => s.Append(teams[2], 1, new PractitionerJoined(Guid.CreateVersion7(), "second to teams[2]"))),
            Save(s => s.StartStream(fresh, "team", new TeamFormed(Guid.CreateVersion7()))),
            Save(s => s.StartStream(teams[3], "team", new TeamFormed(Guid.CreateVersion7()))),
            Save(s => s.Append(late, 7, new PractitionerJoined(Guid.CreateVersion7(), "stale"))),
        ]);
        var outcomes = await Task.WhenAll(queued);

        outcomes.Select(o => o.IsSaved).ShouldBe([true, true, true, false, true, false, false]);
        outcomes[3].Rejection.ShouldBe(new AppendRejection.VersionConflict(teams[2], 1, 2));
        outcomes[5].Rejection.ShouldBe(new AppendRejection.StreamAlreadyExists(teams[3], 1));
        outcomes[6].Rejection.ShouldBe(new AppendRejection.VersionConflict(late, 7, 1));
        outcomes[0].Streams.ShouldBe([new StreamVersion(teams[0], 2)]);
        outcomes[4].Streams.ShouldBe([new StreamVersion(fresh, 1)]);

        var grouped = await EventsAsync(teams[..3], fresh);
        grouped.Select(e => e.TransactionId).Distinct().Count().ShouldBe(1, "the four saved appends share one transaction");
        grouped.Select(e => e.StreamId).ShouldBe([teams[0], teams[1], teams[2], fresh]);
        // The refused saves drew no sequence number: the saved ones' numbers run on, and are the last drawn.
        grouped.Select(e => e.Sequence - grouped[0].Sequence).ShouldBe([0, 1, 2, 3]);
        (await TestStores.ScalarAsync<long>(_store, "SELECT pg_sequence_last_value(pg_get_serial_sequence('{schema}.events', 'seq'))"))
            .ShouldBe(grouped[^1].Sequence);
        (await JoinerRolesAsync(teams)).ShouldBe(["first to teams[2]", "police officer", "school nurse"]);
    }

    [Fact]
    public async Task A_save_that_fails_in_a_group_fails_alone_and_the_others_commit()
    {
        var teams = await StartTeamsAsync(3);

        var queued = await WhileTheWriterIsHeldAsync(() =>
        [
            Save(s => s.Append(teams[0], 1, new PractitionerJoined(Guid.CreateVersion7(), "health visitor"))),
            Save(s => s.Append(teams[1], 1, new PractitionerJoined(Guid.CreateVersion7(), Refused))),
            Save(s => s.Append(teams[2], 1, new PractitionerJoined(Guid.CreateVersion7(), "youth worker"))),
        ]);

        (await queued[0]).IsSaved.ShouldBeTrue();
        await Should.ThrowAsync<PostgresException>(() => queued[1]);
        (await queued[2]).IsSaved.ShouldBeTrue();
        (await _store.OpenSession().FetchStreamAsync(teams[1])).Count.ShouldBe(1);
        (await JoinerRolesAsync(teams)).ShouldBe(["health visitor", "youth worker"]);
    }

    [Fact]
    public async Task A_save_whose_caller_gave_up_while_it_queued_writes_nothing()
    {
        var teams = await StartTeamsAsync(2);
        using var leaving = new CancellationTokenSource();

        var queued = await WhileTheWriterIsHeldAsync(() =>
        {
            var left = Save(s => s.Append(teams[0], 1, new PractitionerJoined(Guid.CreateVersion7(), "gave up")), leaving.Token);
            var stayed = Save(s => s.Append(teams[1], 1, new PractitionerJoined(Guid.CreateVersion7(), "stayed")));
            leaving.Cancel();
            return [left, stayed];
        });

        await Should.ThrowAsync<OperationCanceledException>(() => queued[0]);
        (await queued[1]).IsSaved.ShouldBeTrue();
        (await _store.OpenSession().FetchStreamAsync(teams[0])).Count.ShouldBe(1);
    }

    private Task<SaveResult> Save(Action<EventSession> queue, CancellationToken cancellationToken = default)
    {
        var session = _store.OpenSession();
        queue(session);
        return session.SaveChangesAsync(cancellationToken);
    }

    private async Task<Guid[]> StartTeamsAsync(int count)
    {
        var teams = Enumerable.Range(0, count).Select(_ => Guid.CreateVersion7()).ToArray();
        foreach (var team in teams) (await Save(s => s.StartStream(team, "team", new TeamFormed(Guid.CreateVersion7())))).IsSaved.ShouldBeTrue();
        return teams;
    }

    /// <summary>
    /// Locks a stream from outside, sends the one writer to save to it and waits until the writer is blocked there, queues
    /// the saves, then lets go. Returns the queued saves.
    /// </summary>
    private async Task<Task<SaveResult>[]> WhileTheWriterIsHeldAsync(Func<Task<SaveResult>[]> queue)
    {
        var held = Guid.CreateVersion7();
        (await Save(s => s.StartStream(held, "team", new TeamFormed(Guid.CreateVersion7())))).IsSaved.ShouldBeTrue();
        NpgsqlParameter[] Key() => [new() { Value = schema.Name + "/stream/" }, new() { Value = held }];
        await using var holder = await _store.DataSource.OpenConnectionAsync();
        await using (var take = new NpgsqlCommand("SELECT pg_advisory_lock(hashtextextended($1 || $2::text, 0))", holder))
        {
            take.Parameters.AddRange(Key());
            await take.ExecuteNonQueryAsync();
        }
        var holding = Save(s => s.Append(held, 1, new PractitionerJoined(Guid.CreateVersion7(), "holds the writer")));
        await WaitUntilAsync("the writer waits on the held stream", async () =>
        {
            await using var waiting = _store.DataSource.CreateCommand(
                "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND objsubid = 1 " +
                "AND ((classid::bigint << 32) | objid::bigint) = hashtextextended($1 || $2::text, 0))");
            waiting.Parameters.AddRange(Key());
            return (bool)(await waiting.ExecuteScalarAsync())!;
        });
        var queued = queue();
        await using (var release = new NpgsqlCommand("SELECT pg_advisory_unlock_all()", holder)) await release.ExecuteNonQueryAsync();
        (await holding).IsSaved.ShouldBeTrue();
        return queued;
    }

    private static async Task WaitUntilAsync(string what, Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow + Deadline;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"Waited {Deadline.TotalSeconds:0} s for {what}.");
            await Task.Delay(10);
        }
    }

    /// <summary>The first event of each stream named, and the second of each team named, in sequence order.</summary>
    private async Task<List<(Guid StreamId, ulong TransactionId, long Sequence)>> EventsAsync(Guid[] teams, Guid started)
    {
        await using var command = _store.DataSource.CreateCommand(
            $"SELECT stream_id, tx_id, seq FROM \"{schema.Name}\".events WHERE (stream_id = ANY($1) AND version = 2) OR stream_id = $2 ORDER BY seq");
        command.Parameters.Add(new NpgsqlParameter { Value = teams });
        command.Parameters.Add(new NpgsqlParameter { Value = started });
        await using var reader = await command.ExecuteReaderAsync();
        var events = new List<(Guid, ulong, long)>();
        while (await reader.ReadAsync()) events.Add((reader.GetGuid(0), reader.GetFieldValue<ulong>(1), reader.GetInt64(2)));
        return events;
    }

    private async Task<List<string>> JoinerRolesAsync(Guid[] teams)
    {
        await using var command = _store.DataSource.CreateCommand($"SELECT role FROM \"{schema.Name}\".joiners WHERE team = ANY($1) ORDER BY role");
        command.Parameters.Add(new NpgsqlParameter { Value = teams });
        await using var reader = await command.ExecuteReaderAsync();
        var roles = new List<string>();
        while (await reader.ReadAsync()) roles.Add(reader.GetString(0));
        return roles;
    }

    /// <summary>Who joined which team, kept in the append's transaction; one role makes it fail.</summary>
    private sealed class Joiners(string schemaName) : IInlineProjection
    {
        public string Name => "joiners";

        public IReadOnlySet<string> EventNames { get; } = new HashSet<string> { EventNameAttribute.Of<PractitionerJoined>() };

        public async Task ApplyAsync(ProjectionContext context, IReadOnlyList<RecordedEvent> events, CancellationToken cancellationToken)
        {
            await using var batch = new NpgsqlBatch(context.Connection, context.Transaction);
            foreach (var e in events)
            {
                var joined = (PractitionerJoined)e.Data;
                batch.BatchCommands.Add(joined.Role == Refused
                    ? new NpgsqlBatchCommand("SELECT 1 / 0")
                    : new NpgsqlBatchCommand($"INSERT INTO \"{schemaName}\".joiners VALUES ($1, $2, $3)")
                    { Parameters = { new() { Value = e.StreamId }, new() { Value = joined.Practitioner }, new() { Value = joined.Role } } });
            }
            await batch.ExecuteNonQueryAsync(cancellationToken);
        }

        public Task ResetAsync(ProjectionContext context, CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
