using Patchwork.EventStore;

namespace Patchwork.Server.Api.Audit;

internal static class ModuleSchema
{
    public const string ApiScript = "Patchwork.Server.Api.Audit.api.sql";

    /// <summary>
    /// Creates one module's tables at start from its embedded SQL script, as the owner role, one node at a time (the audit
    /// trail and idempotency keys; the feed's notices; threads). Without an owner connection the tables are assumed to exist.
    /// </summary>
    public static IServiceCollection AddModuleSchema(this IServiceCollection services, string module, string script) =>
        services.AddSchemaMigration(async (provider, cancellationToken) =>
        {
            var configuration = provider.GetRequiredService<IConfiguration>();
            var schema = configuration["EventStore:Schema"] is { Length: > 0 } configured ? configured : "patchwork";
            if (configuration.GetConnectionString("PatchworkOwner") is not { Length: > 0 } owner)
            {
                provider.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(ModuleSchema))
                    .LogWarning("ConnectionStrings:PatchworkOwner is not set; the {Module} tables in schema {Schema} are assumed to exist", module, schema);
                return;
            }
            await using var database = Npgsql.NpgsqlDataSource.Create(owner);
            await SchemaScripts.ApplyAsync(database, schema, module, typeof(ModuleSchema).Assembly, [script], cancellationToken);
        });
}
