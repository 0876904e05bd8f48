using System.Security.Claims;
using System.Text.Json;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using OpenIddict.Abstractions;
using Patchwork.Core;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Patchwork.Server.Tokens;

/// <summary>How API endpoints admit partner systems: the scheme, and one policy per scope.</summary>
public static class PartnerAuthorization
{
    /// <summary>The authentication scheme that accepts our <c>at+jwt</c> access tokens and nothing else.</summary>
    public const string Scheme = "PartnerBearer";

    /// <summary>The name of the policy that requires a partner token carrying <paramref name="scope"/>.</summary>
    public static string PolicyFor(string scope) => "PartnerScope:" + scope;

    /// <summary>Admits only partner tokens that carry <paramref name="scope"/>: 401 without a valid token, 403 without the scope.</summary>
    public static TBuilder RequirePartnerScope<TBuilder>(this TBuilder endpoint, string scope) where TBuilder : IEndpointConventionBuilder =>
        PartnerScopes.IsKnown(scope)
            ? endpoint.RequireAuthorization(PolicyFor(scope))
            : throw new ArgumentException($"Unknown partner scope {scope}.", nameof(scope));
}

/// <summary>The partner system behind a request authenticated by <see cref="PartnerAuthorization.Scheme"/>.</summary>
public sealed record PartnerCaller(PartnerSystemId ClientId, OrganisationId Organisation, IReadOnlyList<string> Scopes)
{
    public Actor.PartnerSystem AsActor() => new(ClientId, Organisation);

    public static PartnerCaller? From(ClaimsPrincipal user)
    {
        ArgumentNullException.ThrowIfNull(user);
        var identity = user.Identities.FirstOrDefault(candidate => candidate.AuthenticationType == PartnerAuthorization.Scheme && candidate.IsAuthenticated);
        if (identity is null ||
            !PartnerClient.TryParseClientId(identity.FindFirst(PartnerClaims.ClientId)?.Value, out var clientId) ||
            !Guid.TryParse(identity.FindFirst(PartnerClaims.Organisation)?.Value, out var organisation))
            return null;
        return new PartnerCaller(clientId, new OrganisationId(organisation), PartnerScopes.Parse(identity.FindFirst(PartnerClaims.Scope)?.Value));
    }
}

/// <summary>
/// The API's acceptance of OpenIddict's access tokens as any resource server would: the JWS checked against the keys the
/// JWKS publishes, typed <c>at+jwt</c>, from our issuer, for our one audience. Then one read of the token's row, so a
/// revoked token, or any token of a disabled partner system (disabling revokes them all), stops working at once.
/// </summary>
internal static class PartnerBearer
{
    public static void Configure(JwtBearerOptions bearer, TokenOptions options, TokenCertificates keys, TimeProvider clock)
    {
        bearer.MapInboundClaims = false;
        bearer.TimeProvider = clock;
        bearer.TokenValidationParameters = new TokenValidationParameters
        {
            ValidIssuer = options.IssuerIdentifier,
            ValidateIssuer = true,
            // RFC 9068 §4: only tokens typed as access tokens; a client assertion or an ID token is not one.
            ValidTypes = ["at+jwt"],
            ValidAlgorithms = [SecurityAlgorithms.EcdsaSha256],
            IssuerSigningKeys = [keys.Signing, .. keys.PublishedOnly],
            ValidateAudience = true,
            AudienceValidator = (_, token, _) => SingleAudience(token) == options.Audience,
            RequireSignedTokens = true,
            RequireExpirationTime = true,
            ValidateLifetime = true,
            ClockSkew = options.ClockSkew,
            LifetimeValidator = (notBefore, expires, _, _) =>
            {
                var now = clock.GetUtcNow().UtcDateTime;
                return expires is { } expiry && now < expiry.ToUniversalTime() + options.ClockSkew &&
                       (notBefore is not { } start || start.ToUniversalTime() <= now + options.ClockSkew);
            },
            // The kid must name one of our keys; trying every key would let a token pass with any kid at all.
            TryAllIssuerSigningKeys = false,
            NameClaimType = PartnerClaims.ClientId,
            AuthenticationType = PartnerAuthorization.Scheme,
        };
        bearer.Events = new JwtBearerEvents { OnTokenValidated = RefuseRevokedTokensAsync };
    }

    /// <summary>The token's <c>aud</c> when it is one string; an array, even of one, is refused (audience injection).</summary>
    internal static string? SingleAudience(SecurityToken token)
    {
        if (token is not JsonWebToken jwt) return null;
        using var payload = JsonDocument.Parse(Base64UrlEncoder.Decode(jwt.EncodedPayload));
        return payload.RootElement.TryGetProperty("aud", out var aud) && aud.ValueKind == JsonValueKind.String ? aud.GetString() : null;
    }

    /// <summary>Option A of issue 22 (measured against a check of the application's state): the token's own row must still be valid.</summary>
    private static async Task RefuseRevokedTokensAsync(TokenValidatedContext context)
    {
        var user = context.Principal!;
        var clientId = user.FindFirst(PartnerClaims.ClientId)?.Value;
        if (!PartnerClient.TryParseClientId(clientId, out _) || user.FindFirst(PartnerClaims.Subject)?.Value != clientId ||
            !Guid.TryParse(user.FindFirst(PartnerClaims.Organisation)?.Value, out _))
        {
            context.Fail("The token names no partner system.");
            return;
        }
        var entry = user.FindFirst(PartnerClaims.TokenEntry)?.Value;
        var liveness = context.HttpContext.RequestServices.GetRequiredService<TokenLiveness>();
        if (string.IsNullOrEmpty(entry) || !await liveness.IsValidAsync(entry, context.HttpContext.RequestAborted))
            context.Fail("The token was revoked, or its partner system disabled.");
    }
}
