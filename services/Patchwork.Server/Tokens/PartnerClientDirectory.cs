using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Microsoft.IdentityModel.Tokens;
using Npgsql;
using NpgsqlTypes;
using Patchwork.Core;

namespace Patchwork.Server.Tokens;

/// <summary>The registered partner clients: the one door to their table, replaceable with a library's store.</summary>
public interface IPartnerClientDirectory
{
    Task<PartnerClient> RegisterAsync(PartnerClientRegistration registration, CancellationToken cancellationToken);

    Task<PartnerClient?> FindAsync(PartnerSystemId clientId, CancellationToken cancellationToken);

    /// <summary>Every partner client of one organisation, enabled or not, oldest first.</summary>
    Task<IReadOnlyList<PartnerClient>> ListAsync(OrganisationId organisation, CancellationToken cancellationToken);

    /// <summary>Adds a public JWK for private_key_jwt and returns its key id; rotate by adding the new key, then removing the old.</summary>
    Task<string> AddPublicKeyAsync(PartnerSystemId clientId, string publicJwk, CancellationToken cancellationToken);

    Task RemovePublicKeyAsync(PartnerSystemId clientId, string keyId, CancellationToken cancellationToken);

    /// <summary>Replaces the client's secret with a new random one, returned this once and stored only as a salted hash.</summary>
    Task<string> IssueSecretAsync(PartnerSystemId clientId, CancellationToken cancellationToken);

    /// <summary>Stops the client getting tokens and ends the tokens it holds (within the status cache duration on other nodes).</summary>
    Task DisableAsync(PartnerSystemId clientId, CancellationToken cancellationToken);

    /// <summary>The organisation of an enabled client, or null when it is unknown or disabled; cached briefly.</summary>
    Task<OrganisationId?> ActiveOrganisationAsync(PartnerSystemId clientId, CancellationToken cancellationToken);

    /// <summary>Every organisation with at least one enabled partner client: the organisations the partner relay notifies.</summary>
    Task<IReadOnlySet<OrganisationId>> OrganisationsWithActiveClientsAsync(CancellationToken cancellationToken);
}

internal sealed class PostgresPartnerClientDirectory(NpgsqlDataSource database, TokenOptions options, TimeProvider clock) : IPartnerClientDirectory
{
    private readonly string _table = TokensSchema.Quote(options.Schema) + ".partner_client";
    private readonly ConcurrentDictionary<PartnerSystemId, (OrganisationId? Organisation, DateTimeOffset Until)> _status = new();

    public async Task<PartnerClient> RegisterAsync(PartnerClientRegistration registration, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(registration);
        if (string.IsNullOrWhiteSpace(registration.DisplayName))
            throw new ArgumentException("A partner client needs a display name.", nameof(registration));
        var unknown = registration.AllowedScopes.Where(scope => !PartnerScopes.IsKnown(scope)).ToList();
        if (unknown.Count > 0)
            throw new ArgumentException($"Unknown scopes: {string.Join(' ', unknown)}.", nameof(registration));
        var keys = registration.PublicJwk is null ? [] : new List<JsonWebKey> { PartnerPublicKey.Parse(registration.PublicJwk) };

        await using var command = database.CreateCommand(
            $"INSERT INTO {_table} (client_id, organisation_id, display_name, allowed_scopes, public_jwks, created_at) " +
            "VALUES (@id, @organisation, @name, @scopes, @jwks, @now)");
        command.Parameters.AddWithValue("id", registration.ClientId.Value);
        command.Parameters.AddWithValue("organisation", registration.Organisation.Value);
        command.Parameters.AddWithValue("name", registration.DisplayName.Trim());
        command.Parameters.AddWithValue("scopes", registration.AllowedScopes.Distinct(StringComparer.Ordinal).ToArray());
        command.Parameters.AddWithValue("jwks", NpgsqlDbType.Jsonb, Jwks(keys));
        command.Parameters.AddWithValue("now", clock.GetUtcNow());
        await command.ExecuteNonQueryAsync(cancellationToken);
        return await FindAsync(registration.ClientId, cancellationToken) ?? throw new InvalidOperationException("The client vanished as it was registered.");
    }

    private const string ClientColumns = "client_id, organisation_id, display_name, allowed_scopes, public_jwks::text, secret_hash, disabled, created_at";

    public async Task<PartnerClient?> FindAsync(PartnerSystemId clientId, CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand($"SELECT {ClientColumns} FROM {_table} WHERE client_id = @id");
        command.Parameters.AddWithValue("id", clientId.Value);
        await using var row = await command.ExecuteReaderAsync(cancellationToken);
        return await row.ReadAsync(cancellationToken) ? ReadClient(row) : null;
    }

    public async Task<IReadOnlyList<PartnerClient>> ListAsync(OrganisationId organisation, CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand($"SELECT {ClientColumns} FROM {_table} WHERE organisation_id = @organisation ORDER BY created_at, client_id");
        command.Parameters.AddWithValue("organisation", organisation.Value);
        var clients = new List<PartnerClient>();
        await using var rows = await command.ExecuteReaderAsync(cancellationToken);
        while (await rows.ReadAsync(cancellationToken)) clients.Add(ReadClient(rows));
        return clients;
    }

    private static PartnerClient ReadClient(NpgsqlDataReader row)
    {
        var secretHash = row.IsDBNull(5) ? null : row.GetString(5);
        return new PartnerClient(
            new PartnerSystemId(row.GetGuid(0)),
            new OrganisationId(row.GetGuid(1)),
            row.GetString(2),
            row.GetFieldValue<string[]>(3),
            new JsonWebKeySet(row.GetString(4)).Keys.ToList(),
            secretHash is not null,
            row.GetBoolean(6),
            row.GetFieldValue<DateTimeOffset>(7))
        {
            SecretHash = secretHash,
        };
    }

    public async Task<string> AddPublicKeyAsync(PartnerSystemId clientId, string publicJwk, CancellationToken cancellationToken)
    {
        var key = PartnerPublicKey.Parse(publicJwk);
        await ChangeKeysAsync(clientId, keys =>
        {
            if (keys.Any(existing => existing.Kid == key.Kid))
                throw new ArgumentException($"The client already has a key with kid {key.Kid}.", nameof(publicJwk));
            return [.. keys, key];
        }, cancellationToken);
        return key.Kid;
    }

    public Task RemovePublicKeyAsync(PartnerSystemId clientId, string keyId, CancellationToken cancellationToken) =>
        ChangeKeysAsync(clientId, keys => keys.Where(key => key.Kid != keyId).ToList(), cancellationToken);

    public async Task<string> IssueSecretAsync(PartnerSystemId clientId, CancellationToken cancellationToken)
    {
        var secret = ClientSecret.Generate();
        await using var command = database.CreateCommand($"UPDATE {_table} SET secret_hash = @hash WHERE client_id = @id");
        command.Parameters.AddWithValue("id", clientId.Value);
        command.Parameters.AddWithValue("hash", ClientSecret.Hash(secret));
        await ExpectOneRowAsync(command, clientId, cancellationToken);
        return secret;
    }

    public async Task DisableAsync(PartnerSystemId clientId, CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand($"UPDATE {_table} SET disabled = true WHERE client_id = @id");
        command.Parameters.AddWithValue("id", clientId.Value);
        await ExpectOneRowAsync(command, clientId, cancellationToken);
        _status.TryRemove(clientId, out _);
    }

    public async Task<OrganisationId?> ActiveOrganisationAsync(PartnerSystemId clientId, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        if (_status.TryGetValue(clientId, out var cached) && cached.Until > now) return cached.Organisation;
        await using var command = database.CreateCommand($"SELECT organisation_id FROM {_table} WHERE client_id = @id AND NOT disabled");
        command.Parameters.AddWithValue("id", clientId.Value);
        var organisation = await command.ExecuteScalarAsync(cancellationToken) is Guid guid ? new OrganisationId(guid) : (OrganisationId?)null;
        _status[clientId] = (organisation, now + options.ClientStatusCacheDuration);
        return organisation;
    }

    public async Task<IReadOnlySet<OrganisationId>> OrganisationsWithActiveClientsAsync(CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand($"SELECT DISTINCT organisation_id FROM {_table} WHERE NOT disabled");
        var organisations = new HashSet<OrganisationId>();
        await using var rows = await command.ExecuteReaderAsync(cancellationToken);
        while (await rows.ReadAsync(cancellationToken)) organisations.Add(new OrganisationId(rows.GetGuid(0)));
        return organisations;
    }

    private async Task ChangeKeysAsync(PartnerSystemId clientId, Func<IReadOnlyList<JsonWebKey>, IReadOnlyList<JsonWebKey>> change,
        CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using var read = new NpgsqlCommand($"SELECT public_jwks::text FROM {_table} WHERE client_id = @id FOR UPDATE", connection, transaction);
        read.Parameters.AddWithValue("id", clientId.Value);
        var current = await read.ExecuteScalarAsync(cancellationToken) as string
            ?? throw new KeyNotFoundException($"No partner client {clientId}.");
        var changed = change(new JsonWebKeySet(current).Keys.ToList());
        await using var write = new NpgsqlCommand($"UPDATE {_table} SET public_jwks = @jwks WHERE client_id = @id", connection, transaction);
        write.Parameters.AddWithValue("id", clientId.Value);
        write.Parameters.AddWithValue("jwks", NpgsqlDbType.Jsonb, Jwks(changed));
        await write.ExecuteNonQueryAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    private static async Task ExpectOneRowAsync(NpgsqlCommand command, PartnerSystemId clientId, CancellationToken cancellationToken)
    {
        if (await command.ExecuteNonQueryAsync(cancellationToken) != 1)
            throw new KeyNotFoundException($"No partner client {clientId}.");
    }

    private static string Jwks(IEnumerable<JsonWebKey> keys) =>
        new JsonObject { ["keys"] = new JsonArray(keys.Select(key => (JsonNode)PartnerPublicKey.ToPublicJson(key)).ToArray()) }.ToJsonString();
}
