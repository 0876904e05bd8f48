using Npgsql;
using Patchwork.Testing;

namespace Patchwork.EventStore.Tests;

/// <summary>
/// What a handler queues with the checkpoint (a relay's told-list) commits in the transaction that records the
/// subscription's progress past the page, or not at all: a page that comes again after a crash is decided from the same
/// state as the first time.
/// </summary>
public sealed class CheckpointWritesTests(PostgresSchema schema) : IClassFixture<PostgresSchema>, IAsyncLifetime
{
    private EventStore _store = null!;

    public async Task InitializeAsync()
    {
        _store = await TestStores.StartAsync(schema);
        await TestStores.AsOwnerAsync(schema, $"""
            CREATE TABLE IF NOT EXISTS {"{schema}"}.pages_remembered (subscription text NOT NULL, last_sequence bigint NOT NULL, attempt int NOT NULL);
            GRANT SELECT, INSERT ON {"{schema}"}.pages_remembered TO "{new NpgsqlConnectionStringBuilder(schema.AppConnectionString).Username}";
            """);
    }

    public async Task DisposeAsync() => await _store.DisposeAsync();

    [Fact]
    public async Task A_pages_queued_statements_commit_in_the_transaction_that_records_its_progress()
    {
        const string Name = "remembering";
        await AppendNotesAsync(250);
        var handler = new Remembering(_store.Schema);
        await using (new RunningSubscription(_store, Name, handler))
        {
            await Eventually.Within(TimeSpan.FromSeconds(60), async () => (await _store.GetSubscriptionStatusAsync(Name))?.PendingEvents == 0,
                "the subscription to reach the end of the log");
        }

        // Rows written by one transaction carry its id: the page's row and the checkpoint's were written together.
        var (rowTransaction, rowSequence) = await ReadAsync($"SELECT xmin::text, last_sequence FROM {{schema}}.pages_remembered WHERE subscription = '{Name}' ORDER BY last_sequence DESC LIMIT 1");
        var (checkpointTransaction, checkpoint) = await ReadAsync($"SELECT xmin::text, last_seq_id FROM {{schema}}.mt_event_progression WHERE name = '{Name}:All'");
        rowSequence.ShouldBe(checkpoint, "the last page remembered is the one checkpointed");
        rowTransaction.ShouldBe(checkpointTransaction, "the page's statement committed in the checkpoint's transaction");
        (await TestStores.ScalarAsync<long>(_store, $"SELECT count(*) FROM {{schema}}.pages_remembered WHERE subscription = '{Name}'"))
            .ShouldBe(handler.Pages, "one row per page handled, none twice");
    }

    [Fact]
    public async Task A_failed_attempts_queued_statements_are_dropped_with_it()
    {
        const string Name = "failing-once";
        await AppendNotesAsync(30);
        var handler = new Remembering(_store.Schema) { FailFirstAttempt = true };
        await using (new RunningSubscription(_store, Name, handler))
        {
            await Eventually.Within(TimeSpan.FromSeconds(60), async () => (await _store.GetSubscriptionStatusAsync(Name))?.PendingEvents == 0,
                "the subscription to reach the end of the log");
        }

        handler.Failures.ShouldBeGreaterThan(0);
        (await TestStores.ScalarAsync<long>(_store, $"SELECT count(*) FROM {{schema}}.pages_remembered WHERE subscription = '{Name}' AND attempt = 0"))
            .ShouldBe(0, "the failed attempt queued its statement and then threw: it must not have run");
        (await TestStores.ScalarAsync<long>(_store, $"SELECT count(*) FROM {{schema}}.pages_remembered WHERE subscription = '{Name}'"))
            .ShouldBe(handler.Pages);
    }

    private async Task<(string Transaction, long Sequence)> ReadAsync(string sql)
    {
        await using var command = _store.DataSource.CreateCommand(sql.Replace("{schema}", $"\"{_store.Schema}\"", StringComparison.Ordinal));
        await using var reader = await command.ExecuteReaderAsync();
        (await reader.ReadAsync()).ShouldBeTrue(sql);
        return (reader.GetString(0), reader.GetInt64(1));
    }

    private async Task AppendNotesAsync(int count)
    {
        (await TestStores.WriteAsync(_store, e => e.StartStream(Guid.CreateVersion7(), Enumerable.Range(0, count).Select(n => (object)new NoteRecorded(0, n)).ToArray()))).ShouldBeTrue();
    }

    /// <summary>Queues one row per page with its checkpoint; may throw on a page's first attempt, after queueing.</summary>
    private sealed class Remembering(string schema) : ISubscriptionHandler
    {
        private int _pages;
        private int _failures;

        public bool FailFirstAttempt { get; init; }

        public long Pages => Volatile.Read(ref _pages);

        public int Failures => Volatile.Read(ref _failures);

        public Task HandleAsync(SubscriptionPage page, CancellationToken cancellationToken)
        {
            var row = new NpgsqlBatchCommand($"INSERT INTO \"{schema}\".pages_remembered (subscription, last_sequence, attempt) VALUES ($1, $2, $3)");
            row.Parameters.Add(new NpgsqlParameter { Value = page.Subscription });
            row.Parameters.Add(new NpgsqlParameter { Value = page.Events[^1].Sequence });
            row.Parameters.Add(new NpgsqlParameter { Value = page.Attempt });
            page.WithCheckpoint(row);
            if (FailFirstAttempt && page.Attempt == 0)
            {
                Interlocked.Increment(ref _failures);
                throw new InvalidOperationException("downstream refused the page's first attempt");
            }
            Interlocked.Increment(ref _pages);
            return Task.CompletedTask;
        }
    }
}
