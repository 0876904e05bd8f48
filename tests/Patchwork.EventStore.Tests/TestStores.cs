using Microsoft.Extensions.Logging;
using Npgsql;
using Patchwork.Testing;

namespace Patchwork.EventStore.Tests;

/// <summary>A store in the test class's own schema, migrated by the owner role and used by the application role.</summary>
internal static class TestStores
{
    public static async Task<EventStore> StartAsync(PostgresSchema schema, Action<EventStoreOptions>? configure = null)
    {
        var options = Options(schema);
        configure?.Invoke(options);
        await EventStoreMigrations.ApplyAsync(options);
        return EventStore.Create(options, loggers: Environment.GetEnvironmentVariable("PATCHWORK_TEST_LOG") is null ? null
            : LoggerFactory.Create(b => b.AddSimpleConsole().SetMinimumLevel(LogLevel.Debug)));
    }

    public static EventStoreOptions Options(PostgresSchema schema)
    {
        var options = new EventStoreOptions
        {
            Schema = schema.Name,
            ConnectionString = schema.AppConnectionString,
            MigrationConnectionString = schema.OwnerConnectionString,
        };
        // Marten is told every stable name before a store or a subscription is built.
        options.Events.RegisterFrom(typeof(TestStores).Assembly);
        return options;
    }

    /// <summary>Runs SQL as the owner role, for setting up read-model tables a projection writes to.</summary>
    public static async Task AsOwnerAsync(PostgresSchema schema, string sql)
    {
        await using var connection = new NpgsqlConnection(schema.OwnerConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql.Replace("{schema}", $"\"{schema.Name}\"", StringComparison.Ordinal), connection);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>A stream's events as the log's readers see them.</summary>
    public static async Task<IReadOnlyList<RecordedEvent>> StreamAsync(EventStore store, Guid stream)
    {
        await using var query = store.Marten.QuerySession();
        return [.. (await query.Events.FetchStreamAsync(stream)).Select(store.ToRecorded)];
    }

    /// <summary>Appends what <paramref name="append"/> queues, as the product's threads do; false when Marten refused for concurrency.</summary>
    public static async Task<bool> WriteAsync(EventStore store, Action<Marten.Events.IEventStoreOperations> append, EventMetadata? metadata = null)
    {
        await using var write = await store.OpenWriteTransactionAsync(metadata ?? EventMetadata.None);
        append(write.Session.Events);
        return await write.CommitAsync(default);
    }

    public static async Task<T> ScalarAsync<T>(EventStore store, string sql)
    {
        await using var command = store.DataSource.CreateCommand(sql.Replace("{schema}", $"\"{store.Schema}\"", StringComparison.Ordinal));
        return (T)(await command.ExecuteScalarAsync())!;
    }
}
