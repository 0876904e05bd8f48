using System.Collections.Concurrent;
using Npgsql;
using Patchwork.Testing;

namespace Patchwork.EventStore.Tests;

public sealed class InlineProjectionTests(PostgresSchema schema) : IClassFixture<PostgresSchema>, IAsyncLifetime
{
    private const string Refused = "role the read model refuses";
    private readonly TeamMembers _teamMembers = new(schema.Name);
    private EventStore _store = null!;

    public async Task InitializeAsync()
    {
        _store = await TestStores.StartAsync(schema, options => options.AddInlineProjection(_teamMembers));
        await TestStores.AsOwnerAsync(schema, """
            CREATE TABLE IF NOT EXISTS {schema}.team_members (
                team uuid NOT NULL, practitioner uuid NOT NULL, role text NOT NULL, PRIMARY KEY (team, practitioner));
            GRANT SELECT, INSERT, UPDATE, DELETE ON {schema}.team_members TO patchwork_app;
            """);
    }

    public async Task DisposeAsync() => await _store.DisposeAsync();

    [Fact]
    public async Task The_read_model_shows_what_was_appended_as_soon_as_the_save_returns()
    {
        var team = Guid.CreateVersion7();
        var (nurse, officer) = (Guid.CreateVersion7(), Guid.CreateVersion7());
        var session = _store.OpenSession();
        session.StartStream(team, "team", new TeamFormed(Guid.CreateVersion7()), new PractitionerJoined(nurse, "school nurse"), new PractitionerJoined(officer, "police officer"));
        await session.SaveChangesAsync();
        session.Append(team, 3, new PractitionerLeft(officer));
        await session.SaveChangesAsync();

        (await MembersAsync(team)).ShouldBe([(nurse, "school nurse")]);
        (await session.AggregateStreamAsync<Team?>(team, null, Team.Evolve))!.Members.Keys.ShouldBe([nurse]);
    }

    [Fact]
    public async Task A_projection_is_given_only_the_events_it_asked_for()
    {
        var team = Guid.CreateVersion7();
        var session = _store.OpenSession();
        session.StartStream(team, "team", new TeamFormed(Guid.CreateVersion7()), new PractitionerJoined(Guid.CreateVersion7(), "health visitor"));

        await session.SaveChangesAsync();

        _teamMembers.Seen.Where(e => e.StreamId == team).Select(e => e.Name).ShouldBe(["test.practitioner-joined.v1"]);
    }

    [Fact]
    public async Task When_the_projection_fails_the_append_is_rolled_back_with_it()
    {
        var team = Guid.CreateVersion7();
        var session = _store.OpenSession();
        session.StartStream(team, "team", new TeamFormed(Guid.CreateVersion7()), new PractitionerJoined(Guid.CreateVersion7(), Refused));

        await Should.ThrowAsync<PostgresException>(() => session.SaveChangesAsync());

        (await _store.OpenSession().FetchStreamAsync(team)).ShouldBeEmpty();
        (await MembersAsync(team)).ShouldBeEmpty();
    }

    [Fact]
    public async Task A_write_enlisted_with_the_session_commits_with_its_events_and_a_failing_one_stores_no_event()
    {
        var (kept, refused) = (Guid.CreateVersion7(), Guid.CreateVersion7());
        var session = _store.OpenSession();
        session.StartStream(kept, "team", new TeamFormed(Guid.CreateVersion7()));
        var nurse = Guid.CreateVersion7();
        session.AlsoWrite((connection, transaction, ct) => InsertMemberAsync(connection, transaction, kept, nurse, "enlisted", ct));
        (await session.SaveChangesAsync()).IsSaved.ShouldBeTrue();
        (await MembersAsync(kept)).ShouldBe([(nurse, "enlisted")]);

        session.StartStream(refused, "team", new TeamFormed(Guid.CreateVersion7()));
        session.AlsoWrite(async (connection, transaction, ct) =>
        {
            await using var failing = new NpgsqlCommand("SELECT 1 / 0", connection, transaction);
            await failing.ExecuteNonQueryAsync(ct);
        });
        await Should.ThrowAsync<PostgresException>(() => session.SaveChangesAsync());
        (await _store.OpenSession().FetchStreamAsync(refused)).ShouldBeEmpty();

        // A refused append (a stale version) runs none of its enlisted writes.
        session.Append(kept, 7, new PractitionerJoined(Guid.CreateVersion7(), "late"));
        session.AlsoWrite((connection, transaction, ct) => InsertMemberAsync(connection, transaction, kept, Guid.CreateVersion7(), "after a refusal", ct));
        (await session.SaveChangesAsync()).IsSaved.ShouldBeFalse();
        (await MembersAsync(kept)).ShouldBe([(nurse, "enlisted")]);
    }

    private async Task InsertMemberAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid team, Guid practitioner, string role, CancellationToken ct)
    {
        await using var insert = new NpgsqlCommand($"INSERT INTO \"{schema.Name}\".team_members (team, practitioner, role) VALUES ($1, $2, $3)", connection, transaction)
        {
            Parameters = { new() { Value = team }, new() { Value = practitioner }, new() { Value = role } },
        };
        await insert.ExecuteNonQueryAsync(ct);
    }

    [Fact]
    public async Task Rebuilding_replays_the_log_into_an_emptied_read_model()
    {
        var (first, second) = (Guid.CreateVersion7(), Guid.CreateVersion7());
        var (nurse, officer, worker) = (Guid.CreateVersion7(), Guid.CreateVersion7(), Guid.CreateVersion7());
        var session = _store.OpenSession();
        session.StartStream(first, "team", new TeamFormed(Guid.CreateVersion7()), new PractitionerJoined(nurse, "school nurse"), new PractitionerJoined(officer, "police officer"));
        session.StartStream(second, "team", new TeamFormed(Guid.CreateVersion7()), new PractitionerJoined(worker, "youth worker"));
        await session.SaveChangesAsync();
        session.Append(first, 3, new PractitionerLeft(nurse));
        await session.SaveChangesAsync();
        await TestStores.AsOwnerAsync(schema, $"DELETE FROM {{schema}}.team_members; INSERT INTO {{schema}}.team_members VALUES ('{first}', '{Guid.CreateVersion7()}', 'stale')");

        var replayed = await _store.RebuildProjectionAsync(TeamMembers.ProjectionName);

        replayed.ShouldBeGreaterThanOrEqualTo(4);
        (await MembersAsync(first)).ShouldBe([(officer, "police officer")]);
        (await MembersAsync(second)).ShouldBe([(worker, "youth worker")]);
    }

    private async Task<List<(Guid, string)>> MembersAsync(Guid team)
    {
        await using var command = _store.DataSource.CreateCommand($"SELECT practitioner, role FROM \"{schema.Name}\".team_members WHERE team = $1 ORDER BY role");
        command.Parameters.Add(new NpgsqlParameter { Value = team });
        await using var reader = await command.ExecuteReaderAsync();
        var members = new List<(Guid, string)>();
        while (await reader.ReadAsync()) members.Add((reader.GetGuid(0), reader.GetString(1)));
        return members;
    }

    /// <summary>Who is on each team, kept in the append's transaction.</summary>
    private sealed class TeamMembers(string schemaName) : IInlineProjection
    {
        private readonly string _schema = $"\"{schemaName}\"";

        public const string ProjectionName = "team-members";

        public ConcurrentQueue<RecordedEvent> Seen { get; } = new();

        public string Name => ProjectionName;

        public IReadOnlySet<string> EventNames { get; } = new HashSet<string>
        {
            EventNameAttribute.Of<PractitionerJoined>(),
            EventNameAttribute.Of<PractitionerLeft>(),
        };

        public async Task ApplyAsync(ProjectionContext context, IReadOnlyList<RecordedEvent> events, CancellationToken cancellationToken)
        {
            await using var batch = new NpgsqlBatch(context.Connection, context.Transaction);
            foreach (var e in events)
            {
                Seen.Enqueue(e);
                var command = e.Data switch
                {
                    PractitionerJoined { Role: Refused } => new NpgsqlBatchCommand("SELECT 1 / 0"),
                    PractitionerJoined joined => new NpgsqlBatchCommand(
                        $"INSERT INTO {_schema}.team_members VALUES ($1, $2, $3) ON CONFLICT (team, practitioner) DO UPDATE SET role = EXCLUDED.role")
                    { Parameters = { new() { Value = e.StreamId }, new() { Value = joined.Practitioner }, new() { Value = joined.Role } } },
                    PractitionerLeft left => new NpgsqlBatchCommand($"DELETE FROM {_schema}.team_members WHERE team = $1 AND practitioner = $2")
                    { Parameters = { new() { Value = e.StreamId }, new() { Value = left.Practitioner } } },
                    _ => throw new InvalidOperationException($"Team members were given {e.Name}"),
                };
                batch.BatchCommands.Add(command);
            }
            await batch.ExecuteNonQueryAsync(cancellationToken);
        }

        public async Task ResetAsync(ProjectionContext context, CancellationToken cancellationToken)
        {
            await using var command = new NpgsqlCommand($"LOCK TABLE {_schema}.team_members IN EXCLUSIVE MODE; DELETE FROM {_schema}.team_members", context.Connection, context.Transaction);
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
    }
}
