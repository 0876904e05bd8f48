using Npgsql;
using Patchwork.Testing;

namespace Patchwork.EventStore.Tests;

/// <summary>
/// Writes of our own that must commit with the events they go with (an audit entry, a justification, a partner command's
/// inbox row): in Marten's own session (<see cref="StatementsBeforeCommit"/>, a transaction participant) and in a
/// transaction of our own around it (<see cref="WriteTransaction.AfterSave(Func{NpgsqlConnection, NpgsqlTransaction, CancellationToken, Task})"/>).
/// Read models are Marten's inline projections.
/// </summary>
public sealed class EnlistedWritesTests(PostgresSchema schema) : IClassFixture<PostgresSchema>, IAsyncLifetime
{
    private EventStore _store = null!;

    public async Task InitializeAsync()
    {
        _store = await TestStores.StartAsync(schema);
        await TestStores.AsOwnerAsync(schema, """
            CREATE TABLE IF NOT EXISTS {schema}.team_members (
                team uuid NOT NULL, practitioner uuid NOT NULL, role text NOT NULL, PRIMARY KEY (team, practitioner));
            GRANT SELECT, INSERT, UPDATE, DELETE ON {schema}.team_members TO patchwork_app;
            """);
    }

    public async Task DisposeAsync() => await _store.DisposeAsync();

    [Fact]
    public async Task Statements_joined_to_a_Marten_session_commit_with_its_events_and_a_failing_one_stores_no_event()
    {
        var (kept, refused) = (Guid.CreateVersion7(), Guid.CreateVersion7());
        var nurse = Guid.CreateVersion7();
        await using (var session = _store.OpenWriteSession(EventMetadata.None))
        {
            session.Events.StartStream(kept, new TeamFormed(Guid.CreateVersion7()));
            StatementsBeforeCommit.Join(session, [Member(kept, nurse, "joined")]);
            await session.SaveChangesAsync();
        }
        (await MembersAsync(kept)).ShouldBe([(nurse, "joined")]);

        await using (var session = _store.OpenWriteSession(EventMetadata.None))
        {
            session.Events.StartStream(refused, new TeamFormed(Guid.CreateVersion7()));
            StatementsBeforeCommit.Join(session, [new NpgsqlBatchCommand("SELECT 1 / 0")]);
            (await Should.ThrowAsync<Exception>(() => session.SaveChangesAsync())).ToString().ShouldContain("division by zero");
        }
        (await TestStores.StreamAsync(_store, refused)).ShouldBeEmpty();

        // A refused append (another writer moved the stream) runs none of its statements, and says it was a refusal.
        await using (var session = _store.OpenWriteSession(EventMetadata.None))
        {
            session.Events.Append(kept, 7, new PractitionerJoined(Guid.CreateVersion7(), "late"));
            StatementsBeforeCommit.Join(session, [Member(kept, Guid.CreateVersion7(), "after a refusal")]);
            ExceptionChain.IsConcurrencyRefusal(await Should.ThrowAsync<Exception>(() => session.SaveChangesAsync())).ShouldBeTrue();
        }
        (await MembersAsync(kept)).ShouldBe([(nurse, "joined")]);
    }

    private NpgsqlBatchCommand Member(Guid team, Guid practitioner, string role) =>
        new($"INSERT INTO \"{schema.Name}\".team_members (team, practitioner, role) VALUES ($1, $2, $3)")
        {
            Parameters = { new() { Value = team }, new() { Value = practitioner }, new() { Value = role } },
        };

    [Fact]
    public async Task A_write_after_the_save_in_a_write_transaction_commits_with_its_events_and_a_failing_one_stores_no_event()
    {
        var (kept, refused) = (Guid.CreateVersion7(), Guid.CreateVersion7());
        var nurse = Guid.CreateVersion7();
        await using (var write = await _store.OpenWriteTransactionAsync(EventMetadata.None))
        {
            write.Session.Events.StartStream(kept, new TeamFormed(Guid.CreateVersion7()));
            write.AfterSave((connection, transaction, ct) => InsertMemberAsync(connection, transaction, kept, nurse, "enlisted", ct));
            (await write.CommitAsync(default)).ShouldBeTrue();
        }
        (await MembersAsync(kept)).ShouldBe([(nurse, "enlisted")]);

        await using (var write = await _store.OpenWriteTransactionAsync(EventMetadata.None))
        {
            write.Session.Events.StartStream(refused, new TeamFormed(Guid.CreateVersion7()));
            write.AfterSave(async (connection, transaction, ct) =>
            {
                await using var failing = new NpgsqlCommand("SELECT 1 / 0", connection, transaction);
                await failing.ExecuteNonQueryAsync(ct);
            });
            await Should.ThrowAsync<PostgresException>(() => write.CommitAsync(default));
        }
        (await TestStores.StreamAsync(_store, refused)).ShouldBeEmpty();

        // A refused append (a stale version) runs none of its writes.
        await using (var write = await _store.OpenWriteTransactionAsync(EventMetadata.None))
        {
            write.Session.Events.Append(kept, 7, new PractitionerJoined(Guid.CreateVersion7(), "late"));
            write.AfterSave((connection, transaction, ct) => InsertMemberAsync(connection, transaction, kept, Guid.CreateVersion7(), "after a refusal", ct));
            (await write.CommitAsync(default)).ShouldBeFalse();
        }
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

    private async Task<List<(Guid, string)>> MembersAsync(Guid team)
    {
        await using var command = _store.DataSource.CreateCommand($"SELECT practitioner, role FROM \"{schema.Name}\".team_members WHERE team = $1 ORDER BY role");
        command.Parameters.Add(new NpgsqlParameter { Value = team });
        await using var reader = await command.ExecuteReaderAsync();
        var members = new List<(Guid, string)>();
        while (await reader.ReadAsync()) members.Add((reader.GetGuid(0), reader.GetString(1)));
        return members;
    }
}
