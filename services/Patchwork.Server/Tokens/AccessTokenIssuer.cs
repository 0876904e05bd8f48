using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Patchwork.Server.Tokens;

/// <summary>An access token as the token endpoint returns it.</summary>
public sealed record IssuedAccessToken(string AccessToken, TimeSpan ExpiresIn, IReadOnlyList<string> Scopes);

/// <summary>Issues access tokens for an authenticated partner client: the seam a library can replace.</summary>
public interface ITokenIssuer
{
    Task<IssuedAccessToken> IssueAsync(PartnerClient client, IReadOnlyList<string> scopes, CancellationToken cancellationToken);
}

/// <summary>RFC 9068 access tokens: <c>typ: at+jwt</c>, one audience, our current signing key's <c>kid</c>.</summary>
internal sealed class AccessTokenIssuer(SigningKeyRing keys, TokenOptions options, TimeProvider clock) : ITokenIssuer
{
    public const string TokenType = "at+jwt";

    private static readonly JsonWebTokenHandler Handler = new() { SetDefaultTimesOnTokenCreation = false };

    public async Task<IssuedAccessToken> IssueAsync(PartnerClient client, IReadOnlyList<string> scopes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        var now = clock.GetUtcNow();
        var token = Handler.CreateToken(new SecurityTokenDescriptor
        {
            TokenType = TokenType,
            Issuer = options.Issuer,
            Audience = options.Audience,
            IssuedAt = now.UtcDateTime,
            NotBefore = now.UtcDateTime,
            Expires = (now + options.AccessTokenLifetime).UtcDateTime,
            SigningCredentials = await keys.SigningCredentialsAsync(cancellationToken),
            Claims = new Dictionary<string, object>
            {
                [PartnerClaims.Subject] = client.OAuthClientId,
                [PartnerClaims.ClientId] = client.OAuthClientId,
                [PartnerClaims.Organisation] = client.Organisation.Value.ToString(),
                [PartnerClaims.Scope] = string.Join(' ', scopes),
                [PartnerClaims.TokenId] = Guid.CreateVersion7().ToString(),
            },
        });
        return new IssuedAccessToken(token, options.AccessTokenLifetime, scopes);
    }
}

/// <summary>The claims our access tokens carry beyond the registered JWT ones.</summary>
public static class PartnerClaims
{
    public const string Subject = "sub";
    public const string ClientId = "client_id";
    public const string Organisation = "org";
    public const string Scope = "scope";
    public const string TokenId = "jti";
}
