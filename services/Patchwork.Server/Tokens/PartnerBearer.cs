using System.Security.Claims;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;
using Patchwork.Core;

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

/// <summary>Hands JwtBearer our own key set from the in-process key ring instead of fetching metadata over HTTP.</summary>
internal sealed class InProcessSigningKeys(SigningKeyRing keys, TokenOptions options) : IConfigurationManager<OpenIdConnectConfiguration>
{
    public async Task<OpenIdConnectConfiguration> GetConfigurationAsync(CancellationToken cancel)
    {
        var configuration = new OpenIdConnectConfiguration { Issuer = options.Issuer };
        foreach (var key in await keys.PublishedKeysAsync(cancel)) configuration.SigningKeys.Add(key);
        return configuration;
    }

    public void RequestRefresh() => keys.RequestRefresh();
}

internal static class PartnerBearer
{
    public static void Configure(JwtBearerOptions bearer, TokenOptions options, InProcessSigningKeys keys, TimeProvider clock)
    {
        bearer.ConfigurationManager = keys;
        bearer.MapInboundClaims = false;
        bearer.RefreshOnIssuerKeyNotFound = true;
        bearer.TokenValidationParameters = new TokenValidationParameters
        {
            ValidIssuer = options.Issuer,
            ValidateIssuer = true,
            // RFC 9068 §4: only tokens typed as access tokens; a client assertion or an ID token is not one.
            ValidTypes = [AccessTokenIssuer.TokenType],
            ValidAlgorithms = [SigningKeyRing.Algorithm],
            ValidateAudience = true,
            AudienceValidator = (_, token, _) => ClientAuthentication.SingleAudience(token) == options.Audience,
            RequireSignedTokens = true,
            RequireExpirationTime = true,
            ValidateLifetime = true,
            ClockSkew = options.ClockSkew,
            LifetimeValidator = TokenLifetime.CheckedBy(clock, options.ClockSkew),
            // The kid must name one of our keys; trying every key would let a token pass with any kid at all.
            TryAllIssuerSigningKeys = false,
            NameClaimType = PartnerClaims.ClientId,
            AuthenticationType = PartnerAuthorization.Scheme,
        };
        bearer.Events = new JwtBearerEvents { OnTokenValidated = RefuseDisabledClientsAsync };
    }

    /// <summary>A disabled client's tokens stop working within the directory's status cache duration.</summary>
    private static async Task RefuseDisabledClientsAsync(TokenValidatedContext context)
    {
        var user = context.Principal!;
        var clientId = user.FindFirst(PartnerClaims.ClientId)?.Value;
        if (!PartnerClient.TryParseClientId(clientId, out var partner) || user.FindFirst(PartnerClaims.Subject)?.Value != clientId)
        {
            context.Fail("The token names no partner client.");
            return;
        }
        var directory = context.HttpContext.RequestServices.GetRequiredService<IPartnerClientDirectory>();
        var organisation = await directory.ActiveOrganisationAsync(partner, context.HttpContext.RequestAborted);
        if (organisation is null || organisation.Value.Value.ToString() != user.FindFirst(PartnerClaims.Organisation)?.Value)
            context.Fail("The partner client is disabled or has changed organisation.");
    }
}
