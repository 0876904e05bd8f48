using Npgsql;
using Patchwork.EventStore;
using Patchwork.Server.SignIn;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Patchwork.Server.Tokens;

/// <summary>
/// Whether an access token's row is still valid, read on every API call so that revoking a token, or disabling or revoking
/// its partner system (which revokes its tokens), stops it at once rather than at expiry. One indexed read by primary key on
/// the application's pool: OpenIddict's token manager reads the same row through EF Core at several times the cost (T1).
/// </summary>
public sealed class TokenLiveness(NpgsqlDataSource database, SignInSchema schema)
{
    private readonly string _sql = $"SELECT status FROM {SchemaScripts.Quote(schema.Name)}.openiddict_token WHERE id = $1";

    public async Task<bool> IsValidAsync(string tokenEntry, CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand(_sql);
        command.Parameters.Add(new NpgsqlParameter { Value = tokenEntry });
        return await command.ExecuteScalarAsync(cancellationToken) is string status && status == Statuses.Valid;
    }
}
