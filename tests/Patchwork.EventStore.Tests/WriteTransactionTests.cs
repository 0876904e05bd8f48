using Npgsql;
using Patchwork.Testing;

namespace Patchwork.EventStore.Tests;

/// <summary>
/// Marten's session in a transaction of our own (threads, agreements, the demo's seeding): appends at any version to one
/// busy stream wait their turn rather than lose a race, and a refused append stores nothing, the caller's rows included.
/// </summary>
public sealed class WriteTransactionTests(PostgresSchema schema) : IClassFixture<PostgresSchema>, IAsyncLifetime
{
    private EventStore _store = null!;

    public async Task InitializeAsync()
    {
        _store = await TestStores.StartAsync(schema);
        await TestStores.AsOwnerAsync(schema, """
            CREATE TABLE IF NOT EXISTS {schema}.thread_rows (stream uuid NOT NULL, note int NOT NULL);
            GRANT SELECT, INSERT ON {schema}.thread_rows TO patchwork_app;
            """);
    }

    public async Task DisposeAsync() => await _store.DisposeAsync();

    [Fact]
    public async Task Racing_appends_at_any_version_to_one_stream_all_commit_each_with_its_own_row_and_version()
    {
        const int Writers = 32;
        var stream = Guid.CreateVersion7();
        await using (var opening = await _store.OpenWriteTransactionAsync(EventMetadata.None))
        {
            opening.Session.Events.StartStream(stream, new NoteRecorded(-1, 0));
            (await opening.CommitAsync(default)).ShouldBeTrue();
        }

        var committed = await Task.WhenAll(Enumerable.Range(0, Writers).Select(writer => Task.Run(async () =>
        {
            await using var write = await _store.OpenWriteTransactionAsync(EventMetadata.None);
            write.Session.Events.Append(stream, new NoteRecorded(writer, 1));
            write.AfterSave(Row(stream, writer));
            return await write.CommitAsync(default);
        })));

        committed.ShouldAllBe(c => c, "no writer at any version loses a race for the stream's next version");
        var events = await TestStores.StreamAsync(_store, stream);
        events.Select(e => e.Version).ShouldBe(Enumerable.Range(1, Writers + 1).Select(v => (long)v));
        (await TestStores.ScalarAsync<long>(_store, $"SELECT count(*) FROM {{schema}}.thread_rows WHERE stream = '{stream}'")).ShouldBe(Writers);
    }

    [Fact]
    public async Task A_refused_append_stores_nothing_and_runs_none_of_the_callers_writes()
    {
        var stream = Guid.CreateVersion7();
        await using (var opening = await _store.OpenWriteTransactionAsync(EventMetadata.None))
        {
            opening.Session.Events.StartStream(stream, new NoteRecorded(0, 0));
            (await opening.CommitAsync(default)).ShouldBeTrue();
        }

        await using (var stale = await _store.OpenWriteTransactionAsync(EventMetadata.None))
        {
            stale.Session.Events.Append(stream, 5, new NoteRecorded(0, 1));
            stale.AfterSave(Row(stream, 1));
            (await stale.CommitAsync(default)).ShouldBeFalse("the stream is at version 1, not 4");
        }
        await using (var again = await _store.OpenWriteTransactionAsync(EventMetadata.None))
        {
            again.Session.Events.StartStream(stream, new NoteRecorded(0, 2));
            again.AfterSave(Row(stream, 2));
            (await again.CommitAsync(default)).ShouldBeFalse("the stream exists");
        }

        (await TestStores.StreamAsync(_store, stream)).Count.ShouldBe(1);
        (await TestStores.ScalarAsync<long>(_store, $"SELECT count(*) FROM {{schema}}.thread_rows WHERE stream = '{stream}'")).ShouldBe(0);
    }

    private NpgsqlBatchCommand Row(Guid stream, int note) =>
        new($"INSERT INTO \"{schema.Name}\".thread_rows (stream, note) VALUES ($1, $2)")
        {
            Parameters = { new() { Value = stream }, new() { Value = note } },
        };
}
