using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Patchwork.Core.Clients;
using Patchwork.Testing;

namespace Patchwork.Core.Tests.IdentityVault;

/// <summary>A schema with the personal data tables and a way to start a "node" with its own DataProtection instance.</summary>
public sealed class IdentityVaultFixture : IAsyncLifetime
{
    public PostgresSchema Schema { get; } = new();
    public X509Certificate2 KeyRingCertificate { get; } = MakeCertificate();
    public string BlindIndexKey { get; } = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    public async Task InitializeAsync()
    {
        await Schema.InitializeAsync();
        await using var owner = NpgsqlDataSource.Create(Schema.OwnerConnectionString);
        await CoreSchema.MigrateAsync(owner, Schema.Name, CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        KeyRingCertificate.Dispose();
        await Schema.DisposeAsync();
    }

    /// <summary>A service provider like one server node's: the application role, the shared key ring.</summary>
    public ServiceProvider StartNode()
    {
        var services = new ServiceCollection();
        services.AddSingleton(_ => NpgsqlDataSource.Create(Schema.AppConnectionString));
        services.AddPatchworkPersonalData(new PersonalDataOptions { Schema = Schema.Name, BlindIndexKey = BlindIndexKey }, KeyRingCertificate);
        return services.BuildServiceProvider();
    }

    private static X509Certificate2 MakeCertificate()
    {
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest("CN=patchwork-key-ring-test", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));
        return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pfx), null, X509KeyStorageFlags.EphemeralKeySet);
    }
}

public sealed class IdentityVaultTests(IdentityVaultFixture fixture) : IClassFixture<IdentityVaultFixture>
{
    private static readonly DateOnly Today = new(2026, 11, 22);
    private static readonly OrganisationId CountyCouncil = OrganisationId.New();
    private static readonly OrganisationId Police = OrganisationId.New();

    [Fact]
    public async Task A_registered_client_is_found_by_NHS_number_name_and_birth_postcode_and_own_local_reference()
    {
        using var node = fixture.StartNode();
        var vault = node.GetRequiredService<ClientIdentityVault>();
        var client = ClientId.New();
        var identity = Identity("Siobhán", "O'Brien-Núñez", new DateOnly(2014, 3, 9), "943 476 5919", "sw1a 1aa",
            new Dictionary<OrganisationId, string> { [CountyCouncil] = "CC-1001" });

        (await vault.RegisterAsync(client, identity, candidatesSeen: false, default)).Value.ShouldBe(new IdentityRegistration.Registered(client));

        (await vault.SearchAsync(new IdentitySearch.ByNhsNumber(NhsNumber.Parse("9434765919").Value), default)).Single().Client.ShouldBe(client);
        (await vault.SearchAsync(new IdentitySearch.ByNameAndBirth("obrien nunez", new DateOnly(2014, 3, 9)), default)).Single().Client.ShouldBe(client);
        (await vault.SearchAsync(new IdentitySearch.ByNameAndBirth("O BRIEN NUNEZ", new DateOnly(2014, 3, 9)), default)).Single().Client.ShouldBe(client);
        (await vault.SearchAsync(new IdentitySearch.ByNameAndBirth("obrien nunez", new DateOnly(2014, 3, 10)), default)).ShouldBeEmpty();
        (await vault.SearchAsync(new IdentitySearch.ByPostcode("SW1A1AA"), default)).Single().Client.ShouldBe(client);
        (await vault.SearchAsync(new IdentitySearch.ByLocalReference(CountyCouncil, "cc-1001"), default)).Single().Client.ShouldBe(client);
        (await vault.SearchAsync(new IdentitySearch.ByLocalReference(Police, "CC-1001"), default)).ShouldBeEmpty();
    }

    [Fact]
    public async Task A_search_match_shows_the_name_the_year_of_birth_and_the_postcode_district_only()
    {
        using var node = fixture.StartNode();
        var vault = node.GetRequiredService<ClientIdentityVault>();
        var client = ClientId.New();
        await vault.RegisterAsync(client, Identity("Ava", "Search-Shape", new DateOnly(2011, 7, 30), null, "LS6 2AB"), false, default);

        var match = (await vault.SearchAsync(new IdentitySearch.ByNameAndBirth("Search-Shape", new DateOnly(2011, 7, 30)), default)).Single();

        match.ShouldBe(new SearchMatch(client, "Ava", "Search-Shape", 2011, "LS6"));
    }

    [Fact]
    public async Task Registering_a_likely_duplicate_returns_the_candidates_and_stores_nothing_until_the_practitioner_has_seen_them()
    {
        using var node = fixture.StartNode();
        var vault = node.GetRequiredService<ClientIdentityVault>();
        var first = ClientId.New();
        await vault.RegisterAsync(first, Identity("Leo", "Duplicate-Check", new DateOnly(2019, 1, 2), null, null), false, default);
        var second = ClientId.New();
        var lookalike = Identity("Leon", "duplicate check", new DateOnly(2019, 1, 2), null, null);

        var refused = (await vault.RegisterAsync(second, lookalike, candidatesSeen: false, default)).Value;

        refused.ShouldBeOfType<IdentityRegistration.LikelyDuplicates>().Candidates.Single().Client.ShouldBe(first);
        (await vault.ReadAsync(second, default)).ShouldBeNull();
        (await vault.RegisterAsync(second, lookalike, candidatesSeen: true, default)).Value.ShouldBe(new IdentityRegistration.Registered(second));
        (await vault.ReadAsync(first, default))!.GivenNames.ShouldBe("Leo");
    }

    [Fact]
    public async Task The_same_NHS_number_is_never_registered_twice_even_when_the_candidates_were_seen()
    {
        using var node = fixture.StartNode();
        var vault = node.GetRequiredService<ClientIdentityVault>();
        var first = ClientId.New();
        await vault.RegisterAsync(first, Identity("Mia", "Nhs-Owner", new DateOnly(2015, 5, 5), "401 023 2137", null), false, default);

        var result = (await vault.RegisterAsync(ClientId.New(), Identity("Someone", "Else", new DateOnly(2001, 1, 1), "4010232137", null), true, default)).Value;

        result.ShouldBeOfType<IdentityRegistration.LikelyDuplicates>().Candidates.Single().Client.ShouldBe(first);
    }

    [Fact]
    public async Task No_name_date_of_birth_NHS_number_or_postcode_appears_in_plaintext_anywhere_in_the_database()
    {
        using var node = fixture.StartNode();
        var vault = node.GetRequiredService<ClientIdentityVault>();
        var canary = Identity("Zebedee", "Quixotically", new DateOnly(1987, 12, 31), "450 557 7104", "ZE9 9ZZ",
            new Dictionary<OrganisationId, string> { [Police] = "CANARY-REF-77" });
        var client = ClientId.New();
        await vault.RegisterAsync(client, canary, false, default);
        (await vault.ReadAsync(client, default)).ShouldNotBeNull().FamilyName.ShouldBe("Quixotically");

        var everything = await EveryRowAsText();

        everything.ShouldContain(row => row.Contains(client.Value.ToString()), "the scan reads the identity rows");
        foreach (var secret in new[] { "Zebedee", "Quixotically", "quixotically", "1987-12-31", "31/12/1987", "19871231", "4505577104", "450 557 7104", "ZE9 9ZZ", "ZE99ZZ", "CANARY-REF-77" })
            everything.ShouldNotContain(row => row.Contains(secret, StringComparison.OrdinalIgnoreCase), $"'{secret}' is in the database in clear");
    }

    [Fact]
    public async Task The_key_ring_is_stored_encrypted_and_another_node_reads_what_this_one_wrote()
    {
        var client = ClientId.New();
        using (var first = fixture.StartNode())
            await first.GetRequiredService<ClientIdentityVault>().RegisterAsync(client, Identity("Noor", "Two-Nodes", new DateOnly(2010, 2, 2), null, null), false, default);

        using var second = fixture.StartNode();
        (await second.GetRequiredService<ClientIdentityVault>().ReadAsync(client, default))!.FamilyName.ShouldBe("Two-Nodes");

        await using var database = NpgsqlDataSource.Create(fixture.Schema.OwnerConnectionString);
        await using var keys = database.CreateCommand($"SELECT xml FROM \"{fixture.Schema.Name}\".data_protection_keys");
        var stored = new List<string>();
        await using (var rows = await keys.ExecuteReaderAsync()) while (await rows.ReadAsync()) stored.Add(rows.GetString(0));
        stored.ShouldNotBeEmpty();
        stored.ShouldAllBe(xml => xml.Contains("EncryptedXmlDecryptor") && !xml.Contains("<masterKey"));
    }

    [Fact]
    public async Task Erasure_destroys_the_identity_and_the_client_can_no_longer_be_found()
    {
        using var node = fixture.StartNode();
        var vault = node.GetRequiredService<ClientIdentityVault>();
        var client = ClientId.New();
        await vault.RegisterAsync(client, Identity("Ivy", "To-Be-Erased", new DateOnly(2008, 8, 8), "943 476 5870", null,
            new Dictionary<OrganisationId, string> { [CountyCouncil] = "ERASE-1" }), false, default);

        (await vault.EraseAsync(client, default)).ShouldBeTrue();

        (await vault.ReadAsync(client, default)).ShouldBeNull();
        (await vault.SearchAsync(new IdentitySearch.ByNhsNumber(NhsNumber.Parse("9434765870").Value), default)).ShouldBeEmpty();
        (await vault.SearchAsync(new IdentitySearch.ByLocalReference(CountyCouncil, "ERASE-1"), default)).ShouldBeEmpty();
        (await vault.EraseAsync(client, default)).ShouldBeFalse();
    }

    [Fact]
    public async Task The_scan_finds_plaintext_even_inside_a_binary_column()
    {
        await using (var owner = NpgsqlDataSource.Create(fixture.Schema.OwnerConnectionString))
        await using (var plant = owner.CreateCommand(
            $"CREATE TABLE \"{fixture.Schema.Name}\".scan_check (b bytea); INSERT INTO \"{fixture.Schema.Name}\".scan_check VALUES (convert_to('{{\"name\":\"Plainly-Visible\"}}', 'UTF8'))"))
            await plant.ExecuteNonQueryAsync();
        try
        {
            (await EveryRowAsText()).ShouldContain(row => row.Contains("Plainly-Visible"));
        }
        finally
        {
            await using var owner = NpgsqlDataSource.Create(fixture.Schema.OwnerConnectionString);
            await using var drop = owner.CreateCommand($"DROP TABLE \"{fixture.Schema.Name}\".scan_check");
            await drop.ExecuteNonQueryAsync();
        }
    }

    [Theory]
    [InlineData("", "Smith", "2010-01-01", null, null, "givenNames")]
    [InlineData("Sam", " ", "2010-01-01", null, null, "familyName")]
    [InlineData("Sam", "Smith", "2030-01-01", null, null, "dateOfBirth")]
    [InlineData("Sam", "Smith", "2010-01-01", "943 476 5918", null, "nhsNumber")]
    [InlineData("Sam", "Smith", "2010-01-01", "94347659", null, "nhsNumber")]
    [InlineData("Sam", "Smith", "2010-01-01", null, "NOT A POSTCODE", "postcode")]
    public void Identity_input_that_cannot_be_right_is_refused_naming_the_field(string given, string family, string born, string? nhs, string? postcode, string field)
    {
        var result = ClientIdentity.Create(given, family, DateOnly.Parse(born, System.Globalization.CultureInfo.InvariantCulture), nhs, postcode, null, Today);

        result.Problem.ShouldNotBeNull().Field.ShouldBe(field);
    }

    private static ClientIdentity Identity(string given, string family, DateOnly born, string? nhs, string? postcode,
        IReadOnlyDictionary<OrganisationId, string>? references = null) =>
        ClientIdentity.Create(given, family, born, nhs, postcode, references, Today).Value;

    private Task<IReadOnlyList<string>> EveryRowAsText() => DatabaseScan.EveryRowAsTextAsync(fixture.Schema.OwnerConnectionString, fixture.Schema.Name);
}
