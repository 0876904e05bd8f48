using Npgsql;
using Patchwork.EventStore;

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

    public static Task MigrateAsync(NpgsqlDataSource owner, string schema, CancellationToken cancellationToken) =>
        SchemaScripts.ApplyAsync(owner, schema, "identity", typeof(SignInSchemaMigration).Assembly, [Script], cancellationToken);

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
