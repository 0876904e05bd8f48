namespace Patchwork.Server.Tokens;

/// <summary>The token endpoint and the API's acceptance of its tokens, bound from the <c>Tokens</c> section.</summary>
public sealed class TokenOptions
{
    public const string Section = "Tokens";

    /// <summary>Our issuer identifier: the <c>iss</c> of every access token and the base of the metadata URLs.</summary>
    public string Issuer { get; set; } = "http://localhost";

    /// <summary>The single <c>aud</c> of every access token: the Patchwork API.</summary>
    public string Audience { get; set; } = "patchwork-api";

    public TimeSpan AccessTokenLifetime { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How long one signing key signs before its successor takes over.</summary>
    public TimeSpan SigningKeyLifetime { get; set; } = TimeSpan.FromDays(30);

    /// <summary>How long a new key sits in the JWKS before it signs, so every cache has fetched it first.</summary>
    public TimeSpan SigningKeyPublicationLead { get; set; } = TimeSpan.FromDays(1);

    /// <summary>Tolerance for clocks that disagree, applied to token and assertion times.</summary>
    public TimeSpan ClockSkew { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>A client assertion may expire at most this far ahead: a short window bounds its replay store.</summary>
    public TimeSpan MaxAssertionLifetime { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How often each node rereads the key set, so keys made by another node reach it well before they sign.</summary>
    public TimeSpan SigningKeyRefreshInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How long a node trusts its last look at a client's disabled flag before it asks the database again.</summary>
    public TimeSpan ClientStatusCacheDuration { get; set; } = TimeSpan.FromSeconds(10);

    public int TokenRequestsPerWindow { get; set; } = 30;

    public TimeSpan TokenRequestWindow { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>The PostgreSQL schema of the client, replay and key tables.</summary>
    public string Schema { get; set; } = "patchwork";

    public string TokenEndpoint => Issuer.TrimEnd('/') + TokenPaths.Token;

    public string JwksUri => Issuer.TrimEnd('/') + TokenPaths.Jwks;

    /// <summary>An old key stays published this long after it stops signing: the last token it signed is still live.</summary>
    public TimeSpan SigningKeyRetention => AccessTokenLifetime + ClockSkew;

    public void Validate()
    {
        if (!Uri.TryCreate(Issuer, UriKind.Absolute, out var issuer) || issuer.Query.Length > 0 || issuer.Fragment.Length > 0)
            throw new InvalidOperationException("Tokens:Issuer must be an absolute URL without query or fragment (RFC 8414 §2).");
        if (string.IsNullOrWhiteSpace(Audience))
            throw new InvalidOperationException("Tokens:Audience is not set.");
        if (AccessTokenLifetime <= TimeSpan.Zero || AccessTokenLifetime > TimeSpan.FromHours(1))
            throw new InvalidOperationException("Tokens:AccessTokenLifetime must be positive and at most an hour.");
        if (SigningKeyPublicationLead <= TimeSpan.Zero || SigningKeyPublicationLead >= SigningKeyLifetime)
            throw new InvalidOperationException("Tokens:SigningKeyPublicationLead must be positive and shorter than SigningKeyLifetime.");
        if (MaxAssertionLifetime <= TimeSpan.Zero || ClockSkew < TimeSpan.Zero || TokenRequestsPerWindow <= 0 || TokenRequestWindow <= TimeSpan.Zero)
            throw new InvalidOperationException("Tokens: assertion lifetime, rate limit and window must be positive, clock skew not negative.");
    }
}

/// <summary>Where the token endpoint and its metadata live.</summary>
public static class TokenPaths
{
    public const string Token = "/connect/token";
    public const string Metadata = "/.well-known/oauth-authorization-server";
    public const string Jwks = "/.well-known/jwks.json";
}
