using Npgsql;
using Patchwork.EventStore;

namespace Patchwork.Server.SignIn;

/// <summary>The identity tables, created idempotently as the owner role under an advisory lock (run at start by the schema migration shell).</summary>
internal static class SignInSchemaMigration
{
    private const string Script = "Patchwork.Server.SignIn.identity.sql";

    public static Task MigrateAsync(NpgsqlDataSource owner, string schema, CancellationToken cancellationToken) =>
        SchemaScripts.ApplyAsync(owner, schema, "identity", typeof(SignInSchemaMigration).Assembly, [Script], cancellationToken);
}
