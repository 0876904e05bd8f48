using Npgsql;

namespace Patchwork.Server.SignIn;

/// <summary>Creates the identity tables idempotently as the owner role, before anything else starts, under an advisory lock.</summary>
internal sealed class SignInSchemaMigration(string owner, SignInSchema schema) : IHostedLifecycleService
{
    private const string Script = "Patchwork.Server.SignIn.identity.sql";

    public async Task StartingAsync(CancellationToken cancellationToken)
    {
        await using var database = NpgsqlDataSource.Create(owner);
        await MigrateAsync(database, schema.Name, cancellationToken);
    }

    public static async Task MigrateAsync(NpgsqlDataSource owner, string schema, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(owner);
        var quoted = Tokens.TokensSchema.Quote(schema);
        await using var stream = typeof(SignInSchemaMigration).Assembly.GetManifestResourceStream(Script)
            ?? throw new InvalidOperationException($"{Script} is not embedded");
        using var reader = new StreamReader(stream);
        var sql = (await reader.ReadToEndAsync(cancellationToken)).Replace("{schema}", quoted, StringComparison.Ordinal);

        await using var connection = await owner.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        // Nodes starting together would otherwise race on CREATE ... IF NOT EXISTS.
        await using (var lockCommand = new NpgsqlCommand("SELECT pg_advisory_xact_lock(hashtextextended('patchwork.identity.migrate:' || @schema, 0))", connection, transaction))
        {
            lockCommand.Parameters.AddWithValue("schema", schema);
            await lockCommand.ExecuteNonQueryAsync(cancellationToken);
        }
        await using (var create = new NpgsqlCommand($"CREATE SCHEMA IF NOT EXISTS {quoted}", connection, transaction))
            await create.ExecuteNonQueryAsync(cancellationToken);
        await using (var command = new NpgsqlCommand(sql, connection, transaction))
            await command.ExecuteNonQueryAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
