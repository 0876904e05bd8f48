using Npgsql;
using Patchwork.EventStore;

namespace Patchwork.Server.Api.Audit;

/// <summary>
/// Creates one module's tables at start from its embedded SQL script, as the owner role, one node at a time (the audit
/// trail and idempotency keys; the feed's notices).
/// </summary>
internal sealed class ModuleSchema(IConfiguration configuration, ILogger<ModuleSchema> log, string module, string script) : IHostedLifecycleService
{
    public const string ApiScript = "Patchwork.Server.Api.Audit.api.sql";

    public async Task StartingAsync(CancellationToken cancellationToken)
    {
        var owner = configuration.GetConnectionString("PatchworkOwner");
        var schema = configuration["EventStore:Schema"] is { Length: > 0 } configured ? configured : "patchwork";
        if (string.IsNullOrWhiteSpace(owner))
        {
            log.LogWarning("ConnectionStrings:PatchworkOwner is not set; the {Module} tables in schema {Schema} are assumed to exist", module, schema);
            return;
        }
        await using var database = NpgsqlDataSource.Create(owner);
        await SchemaScripts.ApplyAsync(database, schema, module, typeof(ModuleSchema).Assembly, [script], cancellationToken);
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

internal static class ModuleSchemaRegistration
{
    // Not AddHostedService: it adds one hosted service per implementation type, and every module's is a ModuleSchema.
    public static IServiceCollection AddModuleSchema(this IServiceCollection services, string module, string script) =>
        services.AddSingleton<IHostedService>(provider => new ModuleSchema(provider.GetRequiredService<IConfiguration>(),
            provider.GetRequiredService<ILogger<ModuleSchema>>(), module, script));
}
