using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.IdentityModel.Tokens;
using Npgsql;
using NpgsqlTypes;

namespace Patchwork.Server.Tokens;

/// <summary>One of our signing keys as stored: public JWK, protected private key and its signing window.</summary>
internal sealed record StoredSigningKey(string KeyId, JsonWebKey PublicKey, byte[] ProtectedPrivateKey,
    DateTimeOffset SignsFrom, DateTimeOffset SignsUntil);

/// <summary>The key set as one node last read it.</summary>
internal sealed record SigningKeySet(IReadOnlyList<StoredSigningKey> Keys, DateTimeOffset ReadAt);

/// <summary>
/// Our ES256 signing keys in PostgreSQL, rotating with overlap on both sides: a successor is made and published
/// <see cref="TokenOptions.SigningKeyPublicationLead"/> before it signs, and a key stays published for
/// <see cref="TokenOptions.SigningKeyRetention"/> after it stops. Private keys are stored as DataProtection ciphertext.
/// </summary>
internal sealed class SigningKeyRing(NpgsqlDataSource database, TokenOptions options, TimeProvider clock,
    IDataProtectionProvider dataProtection, ILogger<SigningKeyRing> log)
{
    public const string Algorithm = SecurityAlgorithms.EcdsaSha256;

    private readonly string _table = TokensSchema.Quote(options.Schema) + ".token_signing_key";
    private readonly IDataProtector _protector = dataProtection.CreateProtector("Patchwork.Tokens.SigningKey.v1");
    private readonly SemaphoreSlim _reading = new(1, 1);
    private readonly ConcurrentDictionary<string, ECDsaSecurityKey> _privateKeys = new(StringComparer.Ordinal);
    private SigningKeySet? _current;
    private DateTimeOffset _refreshRequestedAt = DateTimeOffset.MinValue;

    /// <summary>The credentials that sign tokens now: the key whose signing window began most recently.</summary>
    public async Task<SigningCredentials> SigningCredentialsAsync(CancellationToken cancellationToken)
    {
        var set = await CurrentAsync(cancellationToken);
        var signer = Signer(set, clock.GetUtcNow()) ?? throw new InvalidOperationException("No signing key is active.");
        try
        {
            return new SigningCredentials(PrivateKey(signer), Algorithm);
        }
        catch (CryptographicException e)
        {
            // The DataProtection key ring that protected it is gone: replace the key now rather than stop issuing.
            log.LogError(e, "Signing key {KeyId} cannot be unprotected; replacing it without a publication lead", signer.KeyId);
            await ReplaceUnusableSignerAsync(signer.KeyId, cancellationToken);
            set = await ReadAsync(cancellationToken);
            return new SigningCredentials(PrivateKey(Signer(set, clock.GetUtcNow())!), Algorithm);
        }
    }

    /// <summary>The keys in our JWKS now: every key not yet past its retention, including successors yet to sign.</summary>
    public async Task<IReadOnlyList<JsonWebKey>> PublishedKeysAsync(CancellationToken cancellationToken) =>
        Published(await CurrentAsync(cancellationToken), clock.GetUtcNow()).Select(key => key.PublicKey).ToList();

    /// <summary>Asks for a reread on the next use (an unknown kid), at most once per refresh interval's tenth.</summary>
    public void RequestRefresh()
    {
        var now = clock.GetUtcNow();
        if (now - _refreshRequestedAt < options.SigningKeyRefreshInterval / 10) return;
        _refreshRequestedAt = now;
        _current = null;
    }

    /// <summary>Makes any key that is due and rereads the set; the background maintenance calls this on every node.</summary>
    public async Task<SigningKeySet> CurrentAsync(CancellationToken cancellationToken)
    {
        var set = _current;
        return set is not null && !IsStale(set, clock.GetUtcNow()) ? set : await ReadAsync(cancellationToken);
    }

    private bool IsStale(SigningKeySet set, DateTimeOffset now) =>
        now - set.ReadAt >= options.SigningKeyRefreshInterval || RotationDue(set.Keys, now);

    private bool RotationDue(IReadOnlyList<StoredSigningKey> keys, DateTimeOffset now) =>
        keys.Count == 0 || keys.Max(key => key.SignsUntil) - now <= options.SigningKeyPublicationLead;

    private async Task<SigningKeySet> ReadAsync(CancellationToken cancellationToken)
    {
        await _reading.WaitAsync(cancellationToken);
        try
        {
            var now = clock.GetUtcNow();
            if (_current is { } fresh && !IsStale(fresh, now)) return fresh;
            var keys = await LoadAsync(database, cancellationToken);
            if (RotationDue(keys, now) || Signer(keys, now) is null)
            {
                await RotateAsync(cancellationToken);
                keys = await LoadAsync(database, cancellationToken);
            }
            var set = new SigningKeySet(keys, now);
            _current = set;
            return set;
        }
        finally
        {
            _reading.Release();
        }
    }

    /// <summary>Under a lock shared by every node: makes the first key or the next successor, and drops retired keys.</summary>
    private async Task RotateAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await LockAsync(connection, transaction, cancellationToken);
        var now = clock.GetUtcNow();
        var keys = await LoadAsync(connection, transaction, cancellationToken);
        if (keys.Count == 0)
        {
            // The very first key: nobody can hold an older JWKS, so it may sign at once.
            await InsertAsync(connection, transaction, now, now, now + options.SigningKeyLifetime, cancellationToken);
        }
        else if (RotationDue(keys, now))
        {
            var latestEnd = keys.Max(key => key.SignsUntil);
            var from = latestEnd > now ? latestEnd : now;
            await InsertAsync(connection, transaction, now, from, from + options.SigningKeyLifetime, cancellationToken);
        }
        var signer = Signer(keys, now);
        await using (var retire = new NpgsqlCommand($"DELETE FROM {_table} WHERE signs_until < @retiredBefore AND key_id <> @signer", connection, transaction))
        {
            retire.Parameters.AddWithValue("retiredBefore", now - options.SigningKeyRetention);
            retire.Parameters.AddWithValue("signer", signer?.KeyId ?? "");
            await retire.ExecuteNonQueryAsync(cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);
    }

    private async Task ReplaceUnusableSignerAsync(string unusableKeyId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await LockAsync(connection, transaction, cancellationToken);
        var now = clock.GetUtcNow();
        if (Signer(await LoadAsync(connection, transaction, cancellationToken), now)?.KeyId == unusableKeyId)
        {
            await using var delete = new NpgsqlCommand($"DELETE FROM {_table} WHERE key_id = @id", connection, transaction);
            delete.Parameters.AddWithValue("id", unusableKeyId);
            await delete.ExecuteNonQueryAsync(cancellationToken);
            await InsertAsync(connection, transaction, now, now, now + options.SigningKeyLifetime, cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);
        _current = null;
    }

    private async Task InsertAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, DateTimeOffset now,
        DateTimeOffset signsFrom, DateTimeOffset signsUntil, CancellationToken cancellationToken)
    {
        using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var parameters = ecdsa.ExportParameters(includePrivateParameters: false);
        var publicJwk = new JsonObject
        {
            ["kty"] = "EC",
            ["crv"] = "P-256",
            ["x"] = Base64UrlEncoder.Encode(parameters.Q.X!),
            ["y"] = Base64UrlEncoder.Encode(parameters.Q.Y!),
            ["use"] = "sig",
            ["alg"] = Algorithm,
        };
        var keyId = Base64UrlEncoder.Encode(new JsonWebKey(publicJwk.ToJsonString()).ComputeJwkThumbprint());
        publicJwk["kid"] = keyId;
        await using var insert = new NpgsqlCommand(
            $"INSERT INTO {_table} (key_id, algorithm, public_jwk, protected_private_key, created_at, signs_from, signs_until) " +
            "VALUES (@id, @algorithm, @jwk, @private, @now, @from, @until)", connection, transaction);
        insert.Parameters.AddWithValue("id", keyId);
        insert.Parameters.AddWithValue("algorithm", Algorithm);
        insert.Parameters.AddWithValue("jwk", NpgsqlDbType.Jsonb, publicJwk.ToJsonString());
        insert.Parameters.AddWithValue("private", _protector.Protect(ecdsa.ExportPkcs8PrivateKey()));
        insert.Parameters.AddWithValue("now", now);
        insert.Parameters.AddWithValue("from", signsFrom);
        insert.Parameters.AddWithValue("until", signsUntil);
        await insert.ExecuteNonQueryAsync(cancellationToken);
        log.LogInformation("Signing key {KeyId} published; it signs from {SignsFrom:o} until {SignsUntil:o}", keyId, signsFrom, signsUntil);
    }

    private ECDsaSecurityKey PrivateKey(StoredSigningKey key) =>
        _privateKeys.GetOrAdd(key.KeyId, keyId =>
        {
            var ecdsa = ECDsa.Create();
            ecdsa.ImportPkcs8PrivateKey(_protector.Unprotect(key.ProtectedPrivateKey), out _);
            return new ECDsaSecurityKey(ecdsa) { KeyId = keyId };
        });

    private static StoredSigningKey? Signer(SigningKeySet set, DateTimeOffset now) => Signer(set.Keys, now);

    private static StoredSigningKey? Signer(IReadOnlyList<StoredSigningKey> keys, DateTimeOffset now) =>
        keys.Where(key => key.SignsFrom <= now).MaxBy(key => key.SignsFrom);

    private IEnumerable<StoredSigningKey> Published(SigningKeySet set, DateTimeOffset now)
    {
        var signer = Signer(set, now);
        return set.Keys.Where(key => key == signer || now <= key.SignsUntil + options.SigningKeyRetention);
    }

    private async Task LockAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT pg_advisory_xact_lock(hashtextextended('patchwork.tokens.signing_keys:' || @schema, 0))", connection, transaction);
        command.Parameters.AddWithValue("schema", options.Schema);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private async Task<IReadOnlyList<StoredSigningKey>> LoadAsync(NpgsqlDataSource source, CancellationToken cancellationToken)
    {
        await using var connection = await source.OpenConnectionAsync(cancellationToken);
        return await LoadAsync(connection, null, cancellationToken);
    }

    private async Task<IReadOnlyList<StoredSigningKey>> LoadAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            $"SELECT key_id, public_jwk::text, protected_private_key, signs_from, signs_until FROM {_table} ORDER BY signs_from",
            connection, transaction);
        await using var row = await command.ExecuteReaderAsync(cancellationToken);
        var keys = new List<StoredSigningKey>();
        while (await row.ReadAsync(cancellationToken))
        {
            keys.Add(new StoredSigningKey(row.GetString(0), new JsonWebKey(row.GetString(1)), row.GetFieldValue<byte[]>(2),
                row.GetFieldValue<DateTimeOffset>(3), row.GetFieldValue<DateTimeOffset>(4)));
        }
        return keys;
    }
}
