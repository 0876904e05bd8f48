namespace Patchwork.Server.Tokens;

/// <summary>The token endpoint and the API's acceptance of its tokens, bound from the <c>Tokens</c> section.</summary>
public sealed class TokenOptions
{
    public const string Section = "Tokens";

    /// <summary>
    /// Our issuer identifier: the public origin, the <c>iss</c> of every access token and the <c>aud</c> of every client
    /// assertion. Required outside Development (<see cref="TokensExtensions.AddPatchworkTokens"/>); the default serves only there.
    /// </summary>
    public string Issuer { get; set; } = "http://localhost";

    /// <summary>The single <c>aud</c> of every access token: the Patchwork API.</summary>
    public string Audience { get; set; } = "patchwork-api";

    public TimeSpan AccessTokenLifetime { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Tolerance for clocks that disagree, applied to token and assertion times.</summary>
    public TimeSpan ClockSkew { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>A client assertion may expire at most this far ahead: a short window bounds its replay store.</summary>
    public TimeSpan MaxAssertionLifetime { get; set; } = TimeSpan.FromMinutes(5);

    public int TokenRequestsPerWindow { get; set; } = 30;

    public TimeSpan TokenRequestWindow { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How often expired token rows and spent assertion ids are deleted.</summary>
    public TimeSpan PruneInterval { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Token rows are kept this long after they were created, whatever their state, for investigation.</summary>
    public TimeSpan TokenRetention { get; set; } = TimeSpan.FromHours(1);

    /// <summary>The PKCS#12 file whose EC P-256 key signs access tokens (ES256).</summary>
    public string SigningCertificatePath { get; set; } = "";

    public string SigningCertificatePassword { get; set; } = "";

    /// <summary>Optional: the successor signing certificate, published in the JWKS but not yet signing (rotation, step 1).</summary>
    public string NextSigningCertificatePath { get; set; } = "";

    public string NextSigningCertificatePassword { get; set; } = "";

    /// <summary>Optional: the predecessor, still published while tokens it signed are alive (rotation, step 2).</summary>
    public string PreviousSigningCertificatePath { get; set; } = "";

    public string PreviousSigningCertificatePassword { get; set; } = "";

    /// <summary>The PKCS#12 file whose RSA key OpenIddict requires for encryption (access tokens themselves are signed, not encrypted).</summary>
    public string EncryptionCertificatePath { get; set; } = "";

    public string EncryptionCertificatePassword { get; set; } = "";

    /// <summary>The PostgreSQL schema of the OpenIddict and replay tables.</summary>
    public string Schema { get; set; } = "patchwork";

    public Uri IssuerUri => new(Issuer, UriKind.Absolute);

    /// <summary>The issuer as OpenIddict writes it in tokens and metadata: the absolute URI, so a bare origin ends in a slash.</summary>
    public string IssuerIdentifier => IssuerUri.AbsoluteUri;

    public string TokenEndpoint => Issuer.TrimEnd('/') + TokenPaths.Token;

    public void Validate()
    {
        if (!Uri.TryCreate(Issuer, UriKind.Absolute, out var issuer) || issuer.Query.Length > 0 || issuer.Fragment.Length > 0)
            throw new InvalidOperationException("Tokens:Issuer must be an absolute URL without query or fragment (RFC 8414 §2).");
        if (string.IsNullOrWhiteSpace(Audience))
            throw new InvalidOperationException("Tokens:Audience is not set.");
        if (AccessTokenLifetime <= TimeSpan.Zero || AccessTokenLifetime > TimeSpan.FromHours(1))
            throw new InvalidOperationException("Tokens:AccessTokenLifetime must be positive and at most an hour.");
        if (MaxAssertionLifetime <= TimeSpan.Zero || ClockSkew < TimeSpan.Zero || TokenRequestsPerWindow <= 0 || TokenRequestWindow <= TimeSpan.Zero)
            throw new InvalidOperationException("Tokens: assertion lifetime, rate limit and window must be positive, clock skew not negative.");
        if (PruneInterval <= TimeSpan.Zero || TokenRetention < AccessTokenLifetime)
            throw new InvalidOperationException("Tokens:PruneInterval must be positive and TokenRetention at least the access token lifetime.");
    }
}

/// <summary>Where the token endpoint and its metadata live.</summary>
public static class TokenPaths
{
    public const string Token = "/connect/token";
    public const string Introspection = "/connect/introspect";
    public const string Revocation = "/connect/revoke";
    public const string Metadata = "/.well-known/oauth-authorization-server";
    public const string OpenIdConfiguration = "/.well-known/openid-configuration";
    public const string Jwks = "/.well-known/jwks.json";
}

/// <summary>The claims our access tokens carry beyond the registered JWT ones.</summary>
public static class PartnerClaims
{
    public const string Subject = "sub";
    public const string ClientId = "client_id";
    public const string Organisation = "org";
    public const string Scope = "scope";
    public const string TokenId = "jti";

    /// <summary>OpenIddict's id of the token's row: what revocation and disabling mark.</summary>
    public const string TokenEntry = "oi_tkn_id";
}

/// <summary>RFC 7523 client assertions in the form OpenIddict accepts.</summary>
public static class ClientAssertions
{
    public const string AssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

    /// <summary>The <c>typ</c> header every client assertion must carry (draft-ietf-oauth-rfc7523bis).</summary>
    public const string TokenType = "client-authentication+jwt";

    public const string PrivateKeyJwt = "private_key_jwt";
    public const string ClientSecretBasic = "client_secret_basic";
}
