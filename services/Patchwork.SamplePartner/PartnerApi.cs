using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Patchwork.SamplePartner;

/// <summary>The API refused a request; the message says what it answered (its <c>error_description</c> says what it expected).</summary>
public sealed class PartnerApiRefused(string message) : Exception(message);

/// <summary>What <c>GET /api/v1/partner/whoami</c> says a token stands for.</summary>
public sealed record PartnerIdentity(Guid ClientId, Guid OrganisationId, IReadOnlyList<string> Scopes);

/// <summary>
/// A partner system's use of Patchwork's API, exactly as contracts/README.md ("Getting an access token") describes it:
/// the token endpoint is read from the issuer's metadata (RFC 8414), each token request carries a fresh client assertion
/// in the strict form (header <c>typ</c> <c>client-authentication+jwt</c>; <c>iss</c> = <c>sub</c> = the client id;
/// <c>aud</c> = the issuer, one string; a minute's <c>exp</c>; a new <c>jti</c>), and the access token is reused until
/// shortly before it expires. Neither the assertion, the token nor the key is ever printed.
/// </summary>
public sealed class PartnerApi : IDisposable
{
    public const string MetadataPath = "/.well-known/oauth-authorization-server";
    public const string AssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
    public const string AssertionTokenType = "client-authentication+jwt";

    /// <summary>What this sample reads; it asks for no more (its commands go over AMQP, which needs no token).</summary>
    public const string Scope = "partner.read";

    /// <summary>A token is asked for again this long before it expires, so no request carries one that dies on the way.</summary>
    private static readonly TimeSpan RenewBefore = TimeSpan.FromSeconds(30);

    private static readonly TimeSpan AssertionLifetime = TimeSpan.FromMinutes(1);

    private readonly HttpClient _http;
    private readonly PartnerApiSettings _settings;
    private readonly AssertionKey _key;
    private readonly TextWriter _output;
    private readonly TimeProvider _clock;
    private readonly string _issuer;
    private readonly Uri _tokenEndpoint;
    private (string Token, DateTimeOffset RenewAt)? _token;

    private PartnerApi(HttpClient http, PartnerApiSettings settings, AssertionKey key, TextWriter output, TimeProvider clock, string issuer, Uri tokenEndpoint) =>
        (_http, _settings, _key, _output, _clock, _issuer, _tokenEndpoint) = (http, settings, key, output, clock, issuer, tokenEndpoint);

    /// <summary>Reads the private key and the issuer's metadata; refuses metadata from another issuer (RFC 8414 §3.3).</summary>
    public static async Task<PartnerApi> ConnectAsync(HttpClient http, PartnerApiSettings settings, TextWriter output, TimeProvider? clock,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(output);
        var key = AssertionKey.FromPemFile(settings.KeyId, settings.PrivateKeyFile);
        try
        {
            using var response = await http.GetAsync(new Uri(settings.Issuer, MetadataPath), cancellationToken);
            var metadata = await ReadJsonAsync(response, "the metadata", cancellationToken);
            var issuer = metadata.GetProperty("issuer").GetString() ?? "";
            if (!Uri.TryCreate(issuer, UriKind.Absolute, out var issuerUri) || issuerUri != settings.Issuer)
                throw new PartnerApiRefused($"the metadata at {settings.Issuer} names another issuer ({issuer}): not the server this system is registered with");
            if (!metadata.GetProperty("token_endpoint_auth_methods_supported").EnumerateArray().Any(method => method.GetString() == "private_key_jwt"))
                throw new PartnerApiRefused("the token server does not offer private_key_jwt");
            var tokenEndpoint = new Uri(metadata.GetProperty("token_endpoint").GetString()!, UriKind.Absolute);
            output.WriteLine($"token server {issuer}: token endpoint {tokenEndpoint}");
            return new PartnerApi(http, settings, key, output, clock ?? TimeProvider.System, issuer, tokenEndpoint);
        }
        catch
        {
            key.Dispose();
            throw;
        }
    }

    /// <summary>
    /// A client assertion as contracts/README.md shows it: <c>aud</c> is the metadata's <c>issuer</c> exactly (not the token
    /// endpoint URL), and the header's <c>typ</c> says what the JWT is for, so it cannot be passed off as another kind of token.
    /// </summary>
    public string SignAssertion()
    {
        var now = _clock.GetUtcNow().UtcDateTime;
        return new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(new SecurityTokenDescriptor
        {
            TokenType = AssertionTokenType,
            Issuer = _settings.ClientId,
            Audience = _issuer,
            IssuedAt = now,
            Expires = now + AssertionLifetime,
            Claims = new Dictionary<string, object> { ["sub"] = _settings.ClientId, ["jti"] = Guid.NewGuid().ToString() },
            SigningCredentials = _key.Credentials,
        });
    }

    /// <summary>The access token held, or a new one when none is held or it is about to expire.</summary>
    public async Task<string> AccessTokenAsync(CancellationToken cancellationToken)
    {
        if (_token is { } held && _clock.GetUtcNow() < held.RenewAt) return held.Token;
        using var request = new HttpRequestMessage(HttpMethod.Post, _tokenEndpoint)
        {
            Content = new FormUrlEncodedContent(
            [
                new("grant_type", "client_credentials"),
                new("scope", Scope),
                new("client_assertion_type", AssertionType),
                new("client_assertion", SignAssertion()),
            ]),
        };
        _output.WriteLine($"-> token request: private_key_jwt, assertion typ {AssertionTokenType} signed with {_key}, aud {_issuer}");
        using var response = await _http.SendAsync(request, cancellationToken);
        var answer = await ReadJsonAsync(response, "the token request", cancellationToken);
        var token = answer.GetProperty("access_token").GetString() ?? throw new PartnerApiRefused("the token response has no access_token");
        var lifetime = TimeSpan.FromSeconds(answer.GetProperty("expires_in").GetInt32());
        _token = (token, _clock.GetUtcNow() + lifetime - RenewBefore);
        _output.WriteLine($"<- access token ({answer.GetProperty("token_type").GetString()}), expires in {lifetime.TotalSeconds:0} s; reused until {RenewBefore.TotalSeconds:0} s before that");
        return token;
    }

    public async Task<PartnerIdentity> WhoAmIAsync(CancellationToken cancellationToken)
    {
        var answer = await GetAsync("/api/v1/partner/whoami", "whoami", cancellationToken);
        var identity = new PartnerIdentity(answer.GetProperty("clientId").GetGuid(), answer.GetProperty("organisationId").GetGuid(),
            [.. answer.GetProperty("scopes").EnumerateArray().Select(scope => scope.GetString()!)]);
        _output.WriteLine($"whoami: partner system {identity.ClientId} of organisation {identity.OrganisationId}, scopes {string.Join(' ', identity.Scopes)}");
        return identity;
    }

    /// <summary>The client's team as this organisation may see it now; the purpose is recorded in Patchwork's audit trail.</summary>
    public async Task<JsonElement> TeamAsync(Guid client, string purpose, CancellationToken cancellationToken)
    {
        var team = await GetAsync($"/api/v1/clients/{client}/team?purpose={Uri.EscapeDataString(purpose)}", "the team read", cancellationToken);
        var visible = team.GetProperty("involvements").EnumerateArray()
            .Select(involvement => $"{involvement.GetProperty("role").GetString()} ({(involvement.GetProperty("end").ValueKind == JsonValueKind.Null ? "active" : "ended")})")
            .ToList();
        _output.WriteLine($"team of client {client}: {visible.Count} involvement(s) visible [{string.Join(", ", visible)}], {team.GetProperty("masked").GetArrayLength()} masked");
        return team;
    }

    private async Task<JsonElement> GetAsync(string path, string what, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(_settings.Issuer, path));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", await AccessTokenAsync(cancellationToken));
        using var response = await _http.SendAsync(request, cancellationToken);
        return await ReadJsonAsync(response, what, cancellationToken);
    }

    private static async Task<JsonElement> ReadJsonAsync(HttpResponseMessage response, string what, CancellationToken cancellationToken)
    {
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            // An OAuth refusal's error and error_description, or a problem's title and detail: what was expected, never a credential.
            var said = TryParse(body) is { ValueKind: JsonValueKind.Object } json
                ? string.Join(": ", new[] { "error", "error_description", "title", "detail" }
                    .Select(name => json.TryGetProperty(name, out var value) ? value.ToString() : null).OfType<string>())
                : "";
            throw new PartnerApiRefused($"{what} was answered {(int)response.StatusCode} {response.ReasonPhrase}{(said.Length > 0 ? " — " + said : "")}");
        }
        return TryParse(body) ?? throw new PartnerApiRefused($"{what} was answered with something other than JSON");
    }

    private static JsonElement? TryParse(string body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            return document.RootElement.Clone();
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public void Dispose() => _key.Dispose();
}
