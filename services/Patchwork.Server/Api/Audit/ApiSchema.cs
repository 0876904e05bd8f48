using Npgsql;
using Patchwork.EventStore;

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
        await using var database = NpgsqlDataSource.Create(owner);
        await SchemaScripts.ApplyAsync(database, schema, "api", typeof(ApiSchema).Assembly, [Script], cancellationToken);
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
