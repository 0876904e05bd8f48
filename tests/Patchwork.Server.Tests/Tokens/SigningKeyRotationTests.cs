using System.Net;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Npgsql;
using Patchwork.Server.Tokens;
using Patchwork.Testing;

namespace Patchwork.Server.Tests.Tokens;

/// <summary>Keys that sign for a day and are published an hour before they sign, so a test can walk through a rotation.</summary>
public sealed class RotatingTokenServer : TokenServer
{
    protected override IReadOnlyDictionary<string, string> TokenSettings => new Dictionary<string, string>
    {
        ["Tokens:SigningKeyLifetime"] = "1.00:00:00",
        ["Tokens:SigningKeyPublicationLead"] = "01:00:00",
        ["Tokens:AccessTokenLifetime"] = "00:05:00",
        ["Tokens:ClockSkew"] = "00:00:30",
    };
}

public sealed class SigningKeyRotationTests(RotatingTokenServer server) : IClassFixture<RotatingTokenServer>
{
    [Fact]
    public async Task A_new_key_is_published_before_it_signs_and_the_old_key_validates_its_tokens_until_they_expire()
    {
        var partner = await server.GivenPartnerAsync(PartnerScopes.Read);
        var first = await server.AccessTokenFor(partner);
        var oldKid = new JsonWebToken(first).Kid;
        (await Kids()).ShouldBe([oldKid]);

        // 23 h 58 min later: inside the publication lead, so the successor is published but the old key still signs.
        server.Clock.Advance(TimeSpan.FromHours(23) + TimeSpan.FromMinutes(58));
        var published = await Kids();
        published.Count.ShouldBe(2);
        published.ShouldContain(oldKid);
        var newKid = published.Single(kid => kid != oldKid);
        var lastOfTheOldKey = await server.AccessTokenFor(partner);
        new JsonWebToken(lastOfTheOldKey).Kid.ShouldBe(oldKid);

        // 3 minutes later the new key signs; the old key's last token is still live and still accepted.
        server.Clock.Advance(TimeSpan.FromMinutes(3));
        var firstOfTheNewKey = await server.AccessTokenFor(partner);
        new JsonWebToken(firstOfTheNewKey).Kid.ShouldBe(newKid);
        (await Kids()).ShouldBe([oldKid, newKid], ignoreOrder: true);
        (await server.WhoAmIAsync(lastOfTheOldKey)).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await server.WhoAmIAsync(firstOfTheNewKey)).StatusCode.ShouldBe(HttpStatusCode.OK);

        // Once every token the old key signed has expired, it leaves the JWKS.
        server.Clock.Advance(TimeSpan.FromMinutes(6));
        (await Kids()).ShouldBe([newKid]);
        (await server.WhoAmIAsync(lastOfTheOldKey)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        var later = await server.AccessTokenFor(partner);
        new JsonWebToken(later).Kid.ShouldBe(newKid);
        (await server.WhoAmIAsync(later)).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Private_signing_keys_are_stored_only_as_dataprotection_ciphertext()
    {
        var partner = await server.GivenPartnerAsync(PartnerScopes.Read);
        await server.AccessTokenFor(partner);

        await using var connection = new NpgsqlConnection(LocalServers.PostgresOwner);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"SELECT protected_private_key, public_jwk::text FROM \"{server.SchemaName}\".token_signing_key", connection);
        await using var row = await command.ExecuteReaderAsync();
        var rows = 0;
        while (await row.ReadAsync())
        {
            rows++;
            var stored = row.GetFieldValue<byte[]>(0);
            using var ecdsa = System.Security.Cryptography.ECDsa.Create();
            Should.Throw<System.Security.Cryptography.CryptographicException>(() => ecdsa.ImportPkcs8PrivateKey(stored, out _));
            JsonDocument.Parse(row.GetString(1)).RootElement.TryGetProperty("d", out _).ShouldBeFalse();
        }
        rows.ShouldBeGreaterThan(0);
    }

    private async Task<List<string>> Kids() =>
        (await server.JwksAsync()).GetProperty("keys").EnumerateArray().Select(key => key.GetProperty("kid").GetString()!).ToList();
}
