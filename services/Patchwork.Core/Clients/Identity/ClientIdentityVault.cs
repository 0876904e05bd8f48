using System.Text.Json;
using Microsoft.AspNetCore.DataProtection;
using Npgsql;
using NpgsqlTypes;

namespace Patchwork.Core.Clients;

/// <summary>The outcome of registering a client's identity.</summary>
public abstract record IdentityRegistration
{
    private IdentityRegistration() { }

    public sealed record Registered(ClientId Client) : IdentityRegistration;

    /// <summary>Someone already registered looks like the same person; nothing was stored and nothing merged.</summary>
    public sealed record LikelyDuplicates(IReadOnlyList<SearchMatch> Candidates) : IdentityRegistration;
}

/// <summary>What a practitioner searches by: exactly one route, as the search form offers them.</summary>
public abstract record IdentitySearch
{
    private IdentitySearch() { }

    public sealed record ByNhsNumber(NhsNumber NhsNumber) : IdentitySearch;

    public sealed record ByNameAndBirth(string FamilyName, DateOnly DateOfBirth) : IdentitySearch;

    public sealed record ByPostcode(string Postcode) : IdentitySearch;

    public sealed record ByLocalReference(OrganisationId Organisation, string Reference) : IdentitySearch;
}

/// <summary>
/// Client identity outside the event log (DESIGN.md §6): stored as DataProtection ciphertext, found through
/// blind indexes, erasable by deleting one row. This is the only code that knows these tables' SQL.
/// </summary>
public sealed class ClientIdentityVault
{
    private const int MostMatches = 20;
    private readonly NpgsqlDataSource _database;
    private readonly IDataProtector _protector;
    private readonly BlindIndex _index;
    private readonly string _schema;

    public ClientIdentityVault(NpgsqlDataSource database, IDataProtectionProvider protection, BlindIndex index, PersonalDataOptions options)
    {
        _database = database;
        _protector = protection.CreateProtector("Patchwork.ClientIdentity.v1");
        _index = index;
        _schema = CoreSchema.Quote(options.Schema);
    }

    /// <summary>
    /// Stores a new client's identity unless it looks like someone already registered. An NHS number identifies
    /// one person, so its match always stops registration; a name + date of birth or postcode match stops it
    /// until the practitioner has looked at the candidates and says this is someone else.
    /// </summary>
    public async Task<Result<IdentityRegistration>> RegisterAsync(ClientId client, ClientIdentity identity, bool candidatesSeen,
        CancellationToken cancellationToken)
    {
        if (identity.NhsNumber is { } nhs)
        {
            var sameNhs = await SearchAsync(new IdentitySearch.ByNhsNumber(nhs), cancellationToken);
            if (sameNhs.Count > 0) return new IdentityRegistration.LikelyDuplicates(sameNhs);
        }
        if (!candidatesSeen)
        {
            var candidates = await LikelyDuplicatesAsync(identity, cancellationToken);
            if (candidates.Count > 0) return new IdentityRegistration.LikelyDuplicates(candidates);
        }

        await using var connection = await _database.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var insert = new NpgsqlCommand(
            $"INSERT INTO {_schema}.client_identity (client_id, protected, nhs_hash, name_dob_hash, postcode_hash) " +
            "VALUES (@client, @protected, @nhs, @nameDob, @postcode) ON CONFLICT DO NOTHING", connection, transaction))
        {
            insert.Parameters.AddWithValue("client", client.Value);
            insert.Parameters.AddWithValue("protected", Protect(identity));
            insert.Parameters.Add(new NpgsqlParameter("nhs", NpgsqlDbType.Bytea) { Value = identity.NhsNumber is { } n ? _index.Of(n) : DBNull.Value });
            insert.Parameters.AddWithValue("nameDob", _index.OfNameAndBirth(identity.FamilyName, identity.DateOfBirth));
            insert.Parameters.Add(new NpgsqlParameter("postcode", NpgsqlDbType.Bytea) { Value = identity.Postcode is { } p ? _index.OfPostcode(p) : DBNull.Value });
            if (await insert.ExecuteNonQueryAsync(cancellationToken) == 0) return Problem.Conflict("this client is already registered");
        }
        foreach (var (organisation, reference) in identity.LocalReferences)
        {
            await using var insert = new NpgsqlCommand(
                $"INSERT INTO {_schema}.client_local_reference (client_id, organisation_id, reference_hash) VALUES (@client, @organisation, @hash)",
                connection, transaction);
            insert.Parameters.AddWithValue("client", client.Value);
            insert.Parameters.AddWithValue("organisation", organisation.Value);
            insert.Parameters.AddWithValue("hash", _index.OfLocalReference(organisation, reference));
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);
        return new IdentityRegistration.Registered(client);
    }

    /// <summary>The largest page of search results.</summary>
    public const int LargestSearchPage = MostMatches;

    /// <summary>Clients matching the search, showing only what refinement 4 of the policy allows.</summary>
    public Task<IReadOnlyList<SearchMatch>> SearchAsync(IdentitySearch search, CancellationToken cancellationToken) =>
        SearchAsync(search, null, MostMatches, cancellationToken);

    /// <summary>One page of the matches, in client id order, after the client <paramref name="after"/>.</summary>
    public async Task<IReadOnlyList<SearchMatch>> SearchAsync(IdentitySearch search, ClientId? after, int count, CancellationToken cancellationToken)
    {
        var (where, hash) = search switch
        {
            IdentitySearch.ByNhsNumber s => ("i.nhs_hash = @hash", _index.Of(s.NhsNumber)),
            IdentitySearch.ByNameAndBirth s => ("i.name_dob_hash = @hash", _index.OfNameAndBirth(s.FamilyName, s.DateOfBirth)),
            IdentitySearch.ByPostcode s => ("i.postcode_hash = @hash", _index.OfPostcode(s.Postcode)),
            IdentitySearch.ByLocalReference s => (
                $"i.client_id IN (SELECT r.client_id FROM {_schema}.client_local_reference r WHERE r.reference_hash = @hash)",
                _index.OfLocalReference(s.Organisation, s.Reference)),
            _ => throw new ArgumentOutOfRangeException(nameof(search)),
        };
        await using var command = _database.CreateCommand(
            $"SELECT i.client_id, i.protected FROM {_schema}.client_identity i WHERE {where} AND (@after::uuid IS NULL OR i.client_id > @after::uuid) " +
            "ORDER BY i.client_id LIMIT @count");
        command.Parameters.AddWithValue("hash", hash);
        command.Parameters.Add(new NpgsqlParameter("after", NpgsqlDbType.Uuid) { Value = (object?)after?.Value ?? DBNull.Value });
        command.Parameters.AddWithValue("count", Math.Clamp(count, 1, MostMatches));
        var matches = new List<SearchMatch>();
        await using var rows = await command.ExecuteReaderAsync(cancellationToken);
        while (await rows.ReadAsync(cancellationToken))
        {
            var identity = Unprotect(rows.GetFieldValue<byte[]>(1));
            matches.Add(SearchMatch.Of(new ClientId(rows.GetGuid(0)), identity.GivenNames, identity.FamilyName, identity.DateOfBirth, identity.Postcode));
        }
        return matches;
    }

    /// <summary>The full identity, for those the policy lets see it and for subject access; null once erased.</summary>
    public async Task<ClientIdentity?> ReadAsync(ClientId client, CancellationToken cancellationToken)
    {
        await using var command = _database.CreateCommand($"SELECT protected FROM {_schema}.client_identity WHERE client_id = @client");
        command.Parameters.AddWithValue("client", client.Value);
        return await command.ExecuteScalarAsync(cancellationToken) is byte[] ciphertext ? Unprotect(ciphertext) : null;
    }

    /// <summary>Whether the client is registered (and not erased), without decrypting anything: for doors that need only that.</summary>
    public async Task<bool> IsRegisteredAsync(ClientId client, CancellationToken cancellationToken)
    {
        await using var command = _database.CreateCommand($"SELECT EXISTS (SELECT 1 FROM {_schema}.client_identity WHERE client_id = @client)");
        command.Parameters.AddWithValue("client", client.Value);
        return (bool)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>Destroys the identity and every local reference; events about the client keep only its id.</summary>
    public async Task<bool> EraseAsync(ClientId client, CancellationToken cancellationToken)
    {
        await using var command = _database.CreateCommand(EraseSql);
        command.Parameters.AddWithValue("client", client.Value);
        return await command.ExecuteNonQueryAsync(cancellationToken) > 0;
    }

    /// <summary>The same, in the caller's transaction: erasure takes the identity and the message bodies together or neither.</summary>
    public async Task<bool> EraseAsync(ClientId client, NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(EraseSql, connection, transaction);
        command.Parameters.AddWithValue("client", client.Value);
        return await command.ExecuteNonQueryAsync(cancellationToken) > 0;
    }

    private string EraseSql => $"DELETE FROM {_schema}.client_identity WHERE client_id = @client";

    private async Task<IReadOnlyList<SearchMatch>> LikelyDuplicatesAsync(ClientIdentity identity, CancellationToken cancellationToken)
    {
        var byNameAndBirth = await SearchAsync(new IdentitySearch.ByNameAndBirth(identity.FamilyName, identity.DateOfBirth), cancellationToken);
        var candidates = byNameAndBirth.ToList();
        foreach (var (organisation, reference) in identity.LocalReferences)
            candidates.AddRange(await SearchAsync(new IdentitySearch.ByLocalReference(organisation, reference), cancellationToken));
        if (identity.Postcode is { } postcode)
        {
            // Same postcode and birth year and the same family name is a likely sibling-or-self; the practitioner decides.
            var samePlace = await SearchAsync(new IdentitySearch.ByPostcode(postcode), cancellationToken);
            candidates.AddRange(samePlace.Where(match => match.YearOfBirth == identity.DateOfBirth.Year
                && Normalise.FamilyName(match.FamilyName) == Normalise.FamilyName(identity.FamilyName)));
        }
        return candidates.DistinctBy(match => match.Client).ToList();
    }

    private byte[] Protect(ClientIdentity identity) =>
        _protector.Protect(JsonSerializer.SerializeToUtf8Bytes(StoredIdentity.From(identity), JsonSerializerOptions.Web));

    private ClientIdentity Unprotect(byte[] ciphertext) =>
        JsonSerializer.Deserialize<StoredIdentity>(_protector.Unprotect(ciphertext), JsonSerializerOptions.Web)!.ToIdentity();

    /// <summary>The encrypted payload's shape, versioned by the protector's purpose string.</summary>
    private sealed record StoredIdentity(string GivenNames, string FamilyName, DateOnly DateOfBirth, string? NhsNumber, string? Postcode,
        Dictionary<Guid, string> LocalReferences)
    {
        public static StoredIdentity From(ClientIdentity identity) => new(identity.GivenNames, identity.FamilyName, identity.DateOfBirth,
            identity.NhsNumber?.Digits, identity.Postcode, identity.LocalReferences.ToDictionary(pair => pair.Key.Value, pair => pair.Value));

        public ClientIdentity ToIdentity() => new(GivenNames, FamilyName, DateOfBirth,
            NhsNumber is null ? null : Clients.NhsNumber.Parse(NhsNumber).Value, Postcode,
            LocalReferences.ToDictionary(pair => new OrganisationId(pair.Key), pair => pair.Value));
    }
}
