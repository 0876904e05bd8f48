using JasperFx;
using Marten;
using Npgsql;

namespace Patchwork.EventStore;

/// <summary>
/// Applies Marten's event-store schema as the owner role and grants the application role what it needs: to insert and
/// read events, never to update or delete them. Safe at every start and from many nodes at once: an advisory lock
/// serialises migrators. The application itself runs with <c>AutoCreate.None</c>.
/// </summary>
public static class EventStoreMigrations
{
    public static Task ApplyAsync(string ownerConnectionString, string schema, string applicationRole, CancellationToken cancellationToken = default) =>
        ApplyAsync(ownerConnectionString, new EventStoreOptions { Schema = schema }, applicationRole, cancellationToken);

    /// <summary>The schema of <paramref name="configured"/>: the event store and what its modules add to Marten (their documents).</summary>
    private static async Task ApplyAsync(string ownerConnectionString, EventStoreOptions configured, string applicationRole, CancellationToken cancellationToken)
    {
        var schema = configured.Schema;
        var quoted = SchemaScripts.Quote(schema);
        var role = QuoteIdentifier(applicationRole);
        await using var owner = NpgsqlDataSource.Create(ownerConnectionString);
        await using var connection = await owner.OpenConnectionAsync(cancellationToken);
        await ExecuteAsync(connection, "SELECT pg_advisory_lock(hashtextextended($1, 0))", cancellationToken, "patchwork-event-store-migrations/" + schema);
        try
        {
            await ExecuteAsync(connection, $"CREATE SCHEMA IF NOT EXISTS {quoted}", cancellationToken);
            var options = MartenConfiguration.For(owner, configured, TimeProvider.System, AutoCreate.CreateOrUpdate);
            using (var marten = new DocumentStore(options))
            {
                // The event tables are created only once Marten is asked for them: no event type is registered here.
                await marten.Storage.Database.EnsureStorageExistsAsync(typeof(JasperFx.Events.IEvent), cancellationToken);
                await marten.Storage.ApplyAllConfiguredChangesToDatabaseAsync();
            }

            // Grants are re-stated on every start so a re-created application role gets its privileges back. Only
            // Marten's tables are touched: each module grants on its own.
            await ExecuteAsync(connection, $"""
                GRANT USAGE ON SCHEMA {quoted} TO {role};
                DO $grants$
                DECLARE t record;
                BEGIN
                    FOR t IN SELECT tablename FROM pg_tables WHERE schemaname = {Literal(schema)} AND tablename LIKE 'mt\_%' AND tablename NOT IN ('mt_events', 'mt_streams') LOOP
                        EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %I.%I TO %s', {Literal(schema)}, t.tablename, {Literal(role)});
                    END LOOP;
                    -- Projected documents are read models: Marten's rebuild of one truncates its table first.
                    FOR t IN SELECT tablename FROM pg_tables WHERE schemaname = {Literal(schema)} AND tablename LIKE 'mt\_doc\_%' LOOP
                        EXECUTE format('GRANT TRUNCATE ON %I.%I TO %s', {Literal(schema)}, t.tablename, {Literal(role)});
                    END LOOP;
                END
                $grants$;
                REVOKE ALL ON {quoted}.mt_events FROM PUBLIC, {role};
                GRANT SELECT, INSERT ON {quoted}.mt_events TO {role};
                REVOKE ALL ON {quoted}.mt_streams FROM PUBLIC, {role};
                GRANT SELECT, INSERT, UPDATE ON {quoted}.mt_streams TO {role};
                GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {quoted} TO {role};
                GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA {quoted} TO {role};
                """, cancellationToken);
        }
        finally
        {
            await ExecuteAsync(connection, "SELECT pg_advisory_unlock(hashtextextended($1, 0))", CancellationToken.None, "patchwork-event-store-migrations/" + schema);
        }
    }

    public static Task ApplyAsync(EventStoreOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var owner = options.MigrationConnectionString
            ?? throw new InvalidOperationException("Set EventStoreOptions.MigrationConnectionString to the owner role's connection string.");
        return ApplyAsync(owner, options, options.ResolveApplicationRole(), cancellationToken);
    }

    internal static string QuoteIdentifier(string name) => "\"" + name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    private static string Literal(string value) => "'" + value.Replace("'", "''", StringComparison.Ordinal) + "'";

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken, params object[] arguments)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var argument in arguments) command.Parameters.Add(new NpgsqlParameter { Value = argument });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
