using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Patchwork.Server.Tokens;

/// <summary>
/// Authenticates the client of a token request by exactly one method: <c>private_key_jwt</c> (RFC 7523 §2.2) or
/// <c>client_secret_basic</c> (RFC 6749 §2.3.1). Every failure is <c>invalid_client</c> without saying which check failed.
/// </summary>
internal sealed class ClientAuthentication(IPartnerClientDirectory directory, AssertionReplayStore replay, TokenOptions options,
    TimeProvider clock, ILogger<ClientAuthentication> log)
{
    public const string AssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
    public const string PrivateKeyJwt = "private_key_jwt";
    public const string ClientSecretBasic = "client_secret_basic";

    private static readonly JsonWebTokenHandler Handler = new();
    private static readonly TokenError Refused = TokenError.InvalidClient("Client authentication failed.");

    public async Task<(PartnerClient? Client, TokenError? Error)> AuthenticateAsync(HttpRequest request, IFormCollection form,
        CancellationToken cancellationToken)
    {
        var basic = AuthenticationHeaderValue.TryParse(request.Headers.Authorization, out var header) &&
                    string.Equals(header.Scheme, "Basic", StringComparison.OrdinalIgnoreCase);
        var assertion = form.ContainsKey("client_assertion") || form.ContainsKey("client_assertion_type");
        if (form.ContainsKey("client_secret"))
            return (null, TokenError.InvalidClient("client_secret_post is not supported; use private_key_jwt or client_secret_basic."));
        if (basic && assertion)
            return (null, TokenError.InvalidRequest("Use exactly one client authentication method."));
        if (basic) return await BasicAsync(header!.Parameter, form, cancellationToken);
        if (assertion) return await AssertionAsync(form, cancellationToken);
        return (null, TokenError.InvalidClient("Client authentication is required."));
    }

    private async Task<(PartnerClient?, TokenError?)> BasicAsync(string? credentials, IFormCollection form, CancellationToken cancellationToken)
    {
        var refused = Refused with { ChallengeBasic = true };
        string decoded;
        try
        {
            decoded = Encoding.UTF8.GetString(Convert.FromBase64String(credentials ?? ""));
        }
        catch (FormatException)
        {
            return (null, refused);
        }
        var colon = decoded.IndexOf(':', StringComparison.Ordinal);
        if (colon < 0) return (null, refused);
        // RFC 6749 §2.3.1: both halves are form-urlencoded before they are joined.
        var clientIdText = Uri.UnescapeDataString(decoded[..colon].Replace('+', ' '));
        var secret = Uri.UnescapeDataString(decoded[(colon + 1)..].Replace('+', ' '));
        if (form.TryGetValue("client_id", out var bodyClientId) && bodyClientId.ToString() != clientIdText)
            return (null, TokenError.InvalidRequest("client_id in the body differs from the authenticated client."));
        var client = PartnerClient.TryParseClientId(clientIdText, out var clientId) ? await directory.FindAsync(clientId, cancellationToken) : null;
        if (!ClientSecret.Matches(client?.SecretHash, secret) || client is null)
            return (null, Refuse(refused, clientIdText, "wrong or absent secret"));
        return client.Disabled ? (null, Refuse(refused, clientIdText, "client disabled")) : (client, null);
    }

    private async Task<(PartnerClient?, TokenError?)> AssertionAsync(IFormCollection form, CancellationToken cancellationToken)
    {
        if (form["client_assertion_type"].ToString() != AssertionType)
            return (null, TokenError.InvalidClient($"client_assertion_type must be {AssertionType}."));
        var encoded = form["client_assertion"].ToString();
        JsonWebToken unverified;
        try
        {
            unverified = Handler.ReadJsonWebToken(encoded);
        }
        catch (ArgumentException)
        {
            return (null, Refuse(Refused, "?", "assertion is not a JWT"));
        }
        var claimedId = unverified.Issuer;
        if (form.TryGetValue("client_id", out var bodyClientId) && bodyClientId.ToString() != claimedId)
            return (null, Refuse(Refused, claimedId, "client_id differs from the assertion's iss"));
        if (!IsAllowedAssertionAlgorithm(unverified.Alg))
            return (null, Refuse(Refused, claimedId, $"assertion algorithm {unverified.Alg} refused"));
        if (!PartnerClient.TryParseClientId(claimedId, out var clientId) || await directory.FindAsync(clientId, cancellationToken) is not { } client)
            return (null, Refuse(Refused, claimedId, "unknown client"));
        if (client.Disabled) return (null, Refuse(Refused, claimedId, "client disabled"));
        var key = client.PublicKeys.FirstOrDefault(candidate => candidate.Kid == unverified.Kid);
        if (key is null) return (null, Refuse(Refused, claimedId, "assertion kid is not registered"));

        var result = await Handler.ValidateTokenAsync(encoded, new TokenValidationParameters
        {
            ValidIssuer = client.OAuthClientId,
            IssuerSigningKey = key,
            TryAllIssuerSigningKeys = false,
            ValidAlgorithms = PartnerPublicKey.AssertionAlgorithms,
            RequireSignedTokens = true,
            RequireExpirationTime = true,
            ValidateLifetime = true,
            ClockSkew = options.ClockSkew,
            LifetimeValidator = TokenLifetime.CheckedBy(clock, options.ClockSkew),
            AudienceValidator = (_, token, _) => SingleAudience(token) is { } audience &&
                                                 (audience == options.Issuer || audience == options.TokenEndpoint),
        });
        if (!result.IsValid)
            return (null, Refuse(Refused, claimedId, result.Exception?.Message ?? "invalid assertion"));

        var now = clock.GetUtcNow();
        var token = (JsonWebToken)result.SecurityToken;
        var expires = new DateTimeOffset(token.ValidTo, TimeSpan.Zero);
        if (token.Subject != client.OAuthClientId)
            return (null, Refuse(Refused, claimedId, "assertion sub differs from iss"));
        if (expires > now + options.MaxAssertionLifetime + options.ClockSkew)
            return (null, Refuse(Refused, claimedId, "assertion exp too far ahead"));
        if (token.TryGetPayloadValue<long>("iat", out var issuedAt) && DateTimeOffset.FromUnixTimeSeconds(issuedAt) > now + options.ClockSkew)
            return (null, Refuse(Refused, claimedId, "assertion issued in the future"));
        if (string.IsNullOrEmpty(token.Id) || token.Id.Length > 256)
            return (null, Refuse(Refused, claimedId, "assertion jti missing"));
        if (!await replay.TrySpendAsync(client.ClientId, token.Id, expires, cancellationToken))
            return (null, Refuse(Refused, claimedId, "assertion jti replayed"));
        return (client, null);
    }

    /// <summary>The token's <c>aud</c> when it is one string; an array, even of one, is refused (audience injection).</summary>
    internal static string? SingleAudience(SecurityToken token)
    {
        if (token is not JsonWebToken jwt) return null;
        using var payload = JsonDocument.Parse(Base64UrlEncoder.Decode(jwt.EncodedPayload));
        return payload.RootElement.TryGetProperty("aud", out var aud) && aud.ValueKind == JsonValueKind.String ? aud.GetString() : null;
    }

    private static bool IsAllowedAssertionAlgorithm(string? alg) => alg is not null && PartnerPublicKey.AssertionAlgorithms.Contains(alg);

    private TokenError Refuse(TokenError error, string clientId, string reason)
    {
        // The reason goes to our log only: telling the caller which check failed helps an attacker more than a partner.
        log.LogWarning("Token request refused for client {ClientId}: {Reason}", clientId, reason);
        return error;
    }
}
