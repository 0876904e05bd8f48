using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Patchwork.Core;
using Patchwork.Server.Tokens;
using Patchwork.Testing;

namespace Patchwork.Server.Tests.Tokens;

/// <summary>A Patchwork host on a schema of its own with a clock the test moves, and verbs for partners and tokens.</summary>
public class TokenServer : IAsyncLifetime
{
    public const string Issuer = "https://patchwork.test";

    /// <summary>The issuer as tokens and metadata carry it (OpenIddict writes the absolute URI: a bare origin ends in a slash).</summary>
    public const string IssuerIdentifier = Issuer + "/";
    public const string Audience = "patchwork-api";
    public const string WhoAmI = "/api/v1/partner/whoami";

    private readonly PostgresSchema _schema = new();
    private readonly RabbitVirtualHost _broker = new();
    private WebApplicationFactory<Program>? _factory;

    public ManualClock Clock { get; } = new(TimeProvider.System.GetUtcNow());

    public HttpClient Http { get; private set; } = null!;

    public IServiceProvider Services => _factory!.Services;

    public IPartnerClientDirectory Directory => Services.GetRequiredService<IPartnerClientDirectory>();

    public string SchemaName => _schema.Name;

    /// <summary>Settings a test class changes, e.g. a tight rate limit or short key lifetimes.</summary>
    protected virtual IReadOnlyDictionary<string, string> TokenSettings => new Dictionary<string, string>();

    public async Task InitializeAsync()
    {
        await _schema.InitializeAsync();
        await _broker.InitializeAsync();
        var settings = new Dictionary<string, string>
        {
            ["ConnectionStrings:Patchwork"] = LocalServers.PostgresApp,
            ["ConnectionStrings:PatchworkOwner"] = LocalServers.PostgresOwner,
            ["EventStore:Schema"] = _schema.Name,
            ["Policy:MaskingKey"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
            ["RabbitMq:Host"] = LocalServers.RabbitHost,
            ["RabbitMq:Port"] = LocalServers.RabbitPort.ToString(CultureInfo.InvariantCulture),
            ["RabbitMq:VirtualHost"] = _broker.Name,
            ["RabbitMq:Username"] = LocalServers.RabbitUsername,
            ["RabbitMq:Password"] = LocalServers.RabbitPassword,
            ["Tokens:Issuer"] = Issuer,
            ["Tokens:Audience"] = Audience,
            ["Tokens:TokenRequestsPerWindow"] = "100000",
        };
        foreach (var (key, value) in TokenSettings) settings[key] = value;
        _factory = new WebApplicationFactory<Program>().WithWebHostBuilder(host =>
        {
            foreach (var (key, value) in settings) host.UseSetting(key, value);
            host.ConfigureTestServices(services =>
            {
                services.AddSingleton<TimeProvider>(Clock);
                services.AddDataProtection().UseEphemeralDataProtectionProvider();
                services.AddSingleton<IStartupFilter, TestRemoteAddress>();
            });
        });
        Http = _factory.CreateClient();
    }

    /// <summary>A client whose requests arrive from <paramref name="address"/> (the test host has no real remote address).</summary>
    public HttpClient ClientFrom(System.Net.IPAddress address)
    {
        var client = _factory!.CreateClient();
        client.DefaultRequestHeaders.Add(TestRemoteAddress.Header, address.ToString());
        return client;
    }

    public async Task DisposeAsync()
    {
        Http.Dispose();
        if (_factory is not null) await _factory.DisposeAsync();
        await _broker.DisposeAsync();
        await _schema.DisposeAsync();
    }

    /// <summary>A partner system of a fresh organisation with an EC P-256 key registered for private_key_jwt.</summary>
    public async Task<Partner> GivenPartnerAsync(params string[] scopes)
    {
        var key = new ECDsaSecurityKey(ECDsa.Create(ECCurve.NamedCurves.nistP256)) { KeyId = "partner-key-" + Guid.NewGuid().ToString("N")[..8] };
        var point = key.ECDsa.ExportParameters(includePrivateParameters: false).Q;
        var publicJwk = new JsonObject
        {
            ["kty"] = "EC",
            ["crv"] = "P-256",
            ["x"] = Base64UrlEncoder.Encode(point.X!),
            ["y"] = Base64UrlEncoder.Encode(point.Y!),
            ["kid"] = key.KeyId,
        };
        var client = await Directory.RegisterAsync(new PartnerClientRegistration(PartnerSystemId.New(), OrganisationId.New(),
            "Partner " + key.KeyId, scopes, publicJwk.ToJsonString()), CancellationToken.None);
        return new Partner(client, key, Clock);
    }

    public Task<HttpResponseMessage> RequestTokenAsync(string assertion, string? scope = null, HttpClient? from = null) =>
        (from ?? Http).PostAsync(TokenPaths.Token, Form(scope,
            ("client_assertion_type", ClientAssertions.AssertionType),
            ("client_assertion", assertion)));

    public Task<HttpResponseMessage> RequestTokenWithSecretAsync(string clientId, string secret, string? scope = null, HttpClient? from = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, TokenPaths.Token) { Content = Form(scope) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes($"{Uri.EscapeDataString(clientId)}:{Uri.EscapeDataString(secret)}")));
        return (from ?? Http).SendAsync(request);
    }

    /// <summary>A token for the partner, or a failed test that says what the endpoint answered instead.</summary>
    public async Task<string> AccessTokenFor(Partner partner, string? scope = null)
    {
        var response = await RequestTokenAsync(partner.Assertion(), scope);
        var body = await response.Content.ReadAsStringAsync();
        response.IsSuccessStatusCode.ShouldBeTrue(body);
        return JsonDocument.Parse(body).RootElement.GetProperty("access_token").GetString()!;
    }

    public Task<HttpResponseMessage> WhoAmIAsync(string accessToken)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, WhoAmI);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        return Http.SendAsync(request);
    }

    /// <summary>Our own signing credentials, for tokens that are well signed but wrong in some other way.</summary>
    internal Task<SigningCredentials> OurSigningCredentialsAsync() =>
        Task.FromResult(new SigningCredentials(Services.GetRequiredService<TokenCertificates>().Signing, SecurityAlgorithms.EcdsaSha256));

    /// <summary>The stored form of a partner system's client secret, as the database holds it.</summary>
    public async Task<string?> StoredSecretAsync(Partner partner)
    {
        await using var connection = new Npgsql.NpgsqlConnection(LocalServers.PostgresOwner);
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand($"SELECT client_secret FROM \"{SchemaName}\".openiddict_application WHERE client_id = @id", connection);
        command.Parameters.AddWithValue("id", partner.ClientId);
        return await command.ExecuteScalarAsync() as string;
    }

    /// <summary>A token signed by our current key with the claims of a real access token, changed by <paramref name="change"/>.</summary>
    public async Task<string> SignedByUsAsync(Partner partner, Action<SecurityTokenDescriptor> change)
    {
        var now = Clock.GetUtcNow().UtcDateTime;
        var descriptor = new SecurityTokenDescriptor
        {
            TokenType = "at+jwt",
            Issuer = IssuerIdentifier,
            Audience = Audience,
            IssuedAt = now,
            NotBefore = now,
            Expires = now.AddMinutes(5),
            SigningCredentials = await OurSigningCredentialsAsync(),
            Claims = new Dictionary<string, object>
            {
                ["sub"] = partner.ClientId,
                ["client_id"] = partner.ClientId,
                ["org"] = partner.Client.Organisation.Value.ToString(),
                ["scope"] = PartnerScopes.Read,
                ["jti"] = Guid.NewGuid().ToString(),
                ["oi_tkn_id"] = await LiveTokenEntryAsync(partner),
            },
        };
        change(descriptor);
        return new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(descriptor);
    }

    /// <summary>
    /// The id of a live token row of the partner's, for tokens forged with our key: the API reads the row a real token
    /// names, so a forgery must name a valid one to be refused for the reason the test means.
    /// </summary>
    private async Task<string> LiveTokenEntryAsync(Partner partner)
    {
        var real = new JsonWebToken(await AccessTokenFor(partner));
        return real.GetClaim("oi_tkn_id").Value;
    }

    public async Task<JsonElement> JwksAsync() =>
        JsonDocument.Parse(await Http.GetStringAsync(TokenPaths.Jwks)).RootElement;

    private static FormUrlEncodedContent Form(string? scope, params (string Name, string Value)[] parameters)
    {
        var fields = new List<KeyValuePair<string, string>> { new("grant_type", "client_credentials") };
        if (scope is not null) fields.Add(new("scope", scope));
        fields.AddRange(parameters.Select(parameter => new KeyValuePair<string, string>(parameter.Name, parameter.Value)));
        return new FormUrlEncodedContent(fields);
    }
}

/// <summary>A registered partner system holding its private key, able to sign client assertions.</summary>
public sealed class Partner(PartnerClient client, ECDsaSecurityKey key, TimeProvider clock)
{
    public PartnerClient Client { get; } = client;

    public ECDsaSecurityKey Key { get; } = key;

    public string ClientId => Client.OAuthClientId;

    /// <summary>
    /// A valid client assertion in the form OpenIddict requires (RFC 7523 with header <c>typ: client-authentication+jwt</c>
    /// and <c>aud</c> = the issuer), with <paramref name="change"/> applied before signing.
    /// </summary>
    public string Assertion(Action<SecurityTokenDescriptor>? change = null)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var descriptor = new SecurityTokenDescriptor
        {
            TokenType = ClientAssertions.TokenType,
            Issuer = ClientId,
            Audience = TokenServer.IssuerIdentifier,
            IssuedAt = now,
            Expires = now.AddMinutes(1),
            SigningCredentials = new SigningCredentials(Key, SecurityAlgorithms.EcdsaSha256),
            Claims = new Dictionary<string, object> { ["sub"] = ClientId, ["jti"] = Guid.NewGuid().ToString() },
        };
        change?.Invoke(descriptor);
        return new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(descriptor);
    }

    public static async Task<string> ErrorOf(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetString()!;

    /// <summary>The refusal's error_description, which must say what was expected.</summary>
    public static async Task<string> DescriptionOf(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("error_description").GetString()!;

    /// <summary>
    /// A refused client authentication, in OpenIddict's words: OpenIddict answers a malformed assertion with
    /// invalid_request, one whose claims do not hold with invalid_grant or invalid_token, and a client it cannot
    /// authenticate with invalid_client; every refusal carries a description.
    /// </summary>
    public static async Task ShouldBeRefusedAsync(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        ((int)response.StatusCode).ShouldBeOneOf([400, 401], body);
        var json = JsonDocument.Parse(body).RootElement;
        json.GetProperty("error").GetString().ShouldBeOneOf(["invalid_client", "invalid_request", "invalid_grant", "invalid_token"], body);
        json.GetProperty("error_description").GetString().ShouldNotBeNullOrWhiteSpace(body);
    }
}
