using Npgsql;

namespace Patchwork.EventStore;

/// <summary>
/// Creates and upgrades the store's schema as the owner role. Safe to run at every start and from many
/// nodes at once: an advisory lock serialises migrators, and each script is recorded once applied.
/// </summary>
public static class EventStoreMigrations
{
    public static async Task ApplyAsync(string ownerConnectionString, string schema, string applicationRole, CancellationToken cancellationToken = default)
    {
        var sql = new StoreSql(schema);
        var role = StoreSql.QuoteIdentifier(applicationRole);
        await using var connection = new NpgsqlConnection(ownerConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);

        await ExecuteAsync(connection, "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", cancellationToken, "patchwork-event-store-migrations/" + schema);
        await ExecuteAsync(connection, $"""
            CREATE SCHEMA IF NOT EXISTS {sql.Schema};
            CREATE TABLE IF NOT EXISTS {sql.Schema}.event_store_migrations (
                name text PRIMARY KEY,
                applied_at timestamptz NOT NULL DEFAULT now());
            """, cancellationToken);

        var applied = new HashSet<string>(StringComparer.Ordinal);
        await using (var read = new NpgsqlCommand($"SELECT name FROM {sql.Schema}.event_store_migrations", connection))
        await using (var reader = await read.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken)) applied.Add(reader.GetString(0));
        }

        foreach (var name in StoreSql.MigrationNames.Where(n => !applied.Contains(n)))
        {
            await ExecuteAsync(connection, sql.Migration(name, applicationRole), cancellationToken);
            await ExecuteAsync(connection, $"INSERT INTO {sql.Schema}.event_store_migrations (name) VALUES ($1)", cancellationToken, name);
        }

        // Grants are re-stated on every start so a re-created application role gets its privileges back.
        await ExecuteAsync(connection, $"GRANT USAGE ON SCHEMA {sql.Schema} TO {role}", cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    public static Task ApplyAsync(EventStoreOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var owner = options.MigrationConnectionString
            ?? throw new InvalidOperationException("Set EventStoreOptions.MigrationConnectionString to the owner role's connection string.");
        return ApplyAsync(owner, options.Schema, options.ResolveApplicationRole(), cancellationToken);
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken, params object[] arguments)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var argument in arguments) command.Parameters.Add(new NpgsqlParameter { Value = argument });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
