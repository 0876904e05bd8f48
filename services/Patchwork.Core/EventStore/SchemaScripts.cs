using System.Reflection;
using Npgsql;

namespace Patchwork.EventStore;

/// <summary>
/// Runs embedded, idempotent SQL scripts into a schema as the owner role: one transaction, under an advisory lock
/// so nodes starting together migrate one after another. <c>{schema}</c> in a script is the quoted schema name.
/// Every module with tables of its own migrates through here.
/// </summary>
public static class SchemaScripts
{
    public static async Task ApplyAsync(NpgsqlDataSource owner, string schema, string module, Assembly assembly,
        IEnumerable<string> resources, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(owner);
        ArgumentNullException.ThrowIfNull(assembly);
        ArgumentNullException.ThrowIfNull(resources);
        var quoted = Quote(schema);
        await using var connection = await owner.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var create = new NpgsqlCommand(
            $"SELECT pg_advisory_xact_lock(hashtextextended(@lock, 0)); CREATE SCHEMA IF NOT EXISTS {quoted}", connection, transaction))
        {
            create.Parameters.AddWithValue("lock", $"patchwork-migrations/{module}/{schema}");
            await create.ExecuteNonQueryAsync(cancellationToken);
        }
        foreach (var resource in resources)
        {
            await using var stream = assembly.GetManifestResourceStream(resource) ?? throw new InvalidOperationException($"{resource} is not embedded");
            using var reader = new StreamReader(stream);
            var sql = (await reader.ReadToEndAsync(cancellationToken)).Replace("{schema}", quoted, StringComparison.Ordinal);
            await using var command = new NpgsqlCommand(sql, connection, transaction);
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>A schema name as a quoted identifier; names come from configuration and tests, never from a request.</summary>
    public static string Quote(string schema) =>
        schema is { Length: > 0 and < 64 } && schema.All(c => char.IsAsciiLetterOrDigit(c) || c == '_')
            ? $"\"{schema}\""
            : throw new ArgumentException($"'{schema}' is not a valid schema name.", nameof(schema));
}
