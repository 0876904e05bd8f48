using Npgsql;

namespace Patchwork.Server.Tokens;

/// <summary>Creates the token tables, idempotently, as the owner role.</summary>
public static class TokensSchema
{
    private const string Script = "Patchwork.Server.Tokens.tokens.sql";

    public static async Task MigrateAsync(NpgsqlDataSource owner, string schema, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(owner);
        await using var stream = typeof(TokensSchema).Assembly.GetManifestResourceStream(Script)
            ?? throw new InvalidOperationException($"{Script} is not embedded");
        using var reader = new StreamReader(stream);
        var sql = (await reader.ReadToEndAsync(cancellationToken)).Replace("{schema}", Quote(schema), StringComparison.Ordinal);

        await using var connection = await owner.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        // Nodes starting together would otherwise race on CREATE TABLE IF NOT EXISTS.
        await using (var lockCommand = new NpgsqlCommand("SELECT pg_advisory_xact_lock(hashtextextended('patchwork.tokens.migrate:' || @schema, 0))", connection, transaction))
        {
            lockCommand.Parameters.AddWithValue("schema", schema);
            await lockCommand.ExecuteNonQueryAsync(cancellationToken);
        }
        await using (var create = new NpgsqlCommand($"CREATE SCHEMA IF NOT EXISTS {Quote(schema)}", connection, transaction))
            await create.ExecuteNonQueryAsync(cancellationToken);
        await using (var command = new NpgsqlCommand(sql, connection, transaction))
            await command.ExecuteNonQueryAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>A schema name as a quoted identifier; names come from configuration, never from a request.</summary>
    public static string Quote(string schema) =>
        schema.All(c => char.IsAsciiLetterOrDigit(c) || c == '_') && schema.Length is > 0 and < 64
            ? $"\"{schema}\""
            : throw new ArgumentException($"'{schema}' is not a valid schema name.", nameof(schema));
}
