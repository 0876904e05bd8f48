using Npgsql;
using Patchwork.EventStore;

namespace Patchwork.Server.Tokens;

/// <summary>Creates the token tables, idempotently, as the owner role.</summary>
public static class TokensSchema
{
    public static Task MigrateAsync(NpgsqlDataSource owner, string schema, CancellationToken cancellationToken) =>
        SchemaScripts.ApplyAsync(owner, schema, "tokens", typeof(TokensSchema).Assembly, ["Patchwork.Server.Tokens.tokens.sql"], cancellationToken);

    public static string Quote(string schema) => SchemaScripts.Quote(schema);
}
