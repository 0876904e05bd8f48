using Npgsql;
using Patchwork.Core.Clients;

namespace Patchwork.Server.Api.Audit;

/// <summary>Creates the audit and idempotency tables at start, as the owner role, one node at a time.</summary>
internal sealed class ApiSchema(IConfiguration configuration, ILogger<ApiSchema> log) : IHostedLifecycleService
{
    private const string Script = "Patchwork.Server.Api.Audit.api.sql";

    public async Task StartingAsync(CancellationToken cancellationToken)
    {
        var owner = configuration.GetConnectionString("PatchworkOwner");
        var schema = configuration["EventStore:Schema"] is { Length: > 0 } configured ? configured : "patchwork";
        if (string.IsNullOrWhiteSpace(owner))
        {
            log.LogWarning("ConnectionStrings:PatchworkOwner is not set; the audit tables in schema {Schema} are assumed to exist", schema);
            return;
        }
        await using var stream = typeof(ApiSchema).Assembly.GetManifestResourceStream(Script) ?? throw new InvalidOperationException($"{Script} is not embedded");
        using var reader = new StreamReader(stream);
        var sql = (await reader.ReadToEndAsync(cancellationToken)).Replace("{schema}", CoreSchema.Quote(schema), StringComparison.Ordinal);
        await using var database = NpgsqlDataSource.Create(owner);
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        // Nodes (and test hosts) starting together would otherwise race on CREATE TABLE IF NOT EXISTS.
        await using (var create = new NpgsqlCommand(
            $"SELECT pg_advisory_xact_lock(hashtextextended('patchwork-api-migrations/{schema}', 0)); CREATE SCHEMA IF NOT EXISTS {CoreSchema.Quote(schema)}",
            connection, transaction))
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
