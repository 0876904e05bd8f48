using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.IdentityModel.Tokens;

namespace Patchwork.Server.Tokens;

/// <summary>
/// The token server's keys, read from PKCS#12 files once at start: the EC P-256 key that signs (and its successor or
/// predecessor, published only) and the RSA key OpenIddict insists on for encryption. A missing or unreadable file
/// is an error here, at start, naming the setting, rather than a 500 on the first token request.
/// </summary>
public sealed class TokenCertificates
{
    private TokenCertificates(ECDsaSecurityKey signing, DateTimeOffset signingNotAfter, IReadOnlyList<ECDsaSecurityKey> publishedOnly, X509Certificate2 encryption)
    {
        Signing = signing;
        SigningNotAfter = signingNotAfter;
        PublishedOnly = publishedOnly;
        Encryption = encryption;
    }

    /// <summary>The key that signs every access token now.</summary>
    public ECDsaSecurityKey Signing { get; }

    /// <summary>When the signing key's certificate expires: it must be rotated (published a day ahead) before then.</summary>
    public DateTimeOffset SigningNotAfter { get; }

    /// <summary>Keys in the JWKS that do not sign: a successor being published ahead, or a predecessor whose tokens still live.</summary>
    public IReadOnlyList<ECDsaSecurityKey> PublishedOnly { get; }

    public X509Certificate2 Encryption { get; }

    public static TokenCertificates Load(TokenOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var (signing, notAfter) = SigningKey(options.SigningCertificatePath, options.SigningCertificatePassword, "Tokens:SigningCertificatePath")
            ?? throw new InvalidOperationException("Tokens:SigningCertificatePath is not set: the token server needs a PKCS#12 file with an EC P-256 key (infra/local makes one for development).");
        var published = new List<ECDsaSecurityKey>();
        foreach (var (path, password, setting) in new[]
                 {
                     (options.NextSigningCertificatePath, options.NextSigningCertificatePassword, "Tokens:NextSigningCertificatePath"),
                     (options.PreviousSigningCertificatePath, options.PreviousSigningCertificatePassword, "Tokens:PreviousSigningCertificatePath"),
                 })
        {
            if (SigningKey(path, password, setting) is { } key) published.Add(key.Key);
        }
        var encryption = Open(options.EncryptionCertificatePath, options.EncryptionCertificatePassword, "Tokens:EncryptionCertificatePath")
            ?? throw new InvalidOperationException("Tokens:EncryptionCertificatePath is not set: OpenIddict needs a PKCS#12 file with an RSA key (infra/local makes one for development).");
        if (encryption.GetRSAPrivateKey() is null)
            throw new InvalidOperationException("Tokens:EncryptionCertificatePath must hold an RSA certificate with its private key.");
        return new TokenCertificates(signing, notAfter, published, encryption);
    }

    private static (ECDsaSecurityKey Key, DateTimeOffset NotAfter)? SigningKey(string path, string password, string setting)
    {
        using var certificate = Open(path, password, setting);
        if (certificate is null) return null;
        var ecdsa = certificate.GetECDsaPrivateKey()
            ?? throw new InvalidOperationException($"{setting} must hold an EC P-256 certificate with its private key.");
        if (ecdsa.KeySize != 256)
        {
            ecdsa.Dispose();
            throw new InvalidOperationException($"{setting} must hold a P-256 key (ES256), not {ecdsa.KeySize} bits.");
        }
        // The kid is the certificate's SHA-256 thumbprint: stable across nodes and restarts, different for each key.
        return (new ECDsaSecurityKey(ecdsa) { KeyId = Base64UrlEncoder.Encode(certificate.GetCertHash(HashAlgorithmName.SHA256)) },
            new DateTimeOffset(certificate.NotAfter.ToUniversalTime(), TimeSpan.Zero));
    }

    private static X509Certificate2? Open(string path, string password, string setting)
    {
        if (string.IsNullOrWhiteSpace(path)) return null;
        if (!File.Exists(path)) throw new InvalidOperationException($"{setting}: no file at {path}.");
        try
        {
            return X509CertificateLoader.LoadPkcs12FromFile(path, password, X509KeyStorageFlags.EphemeralKeySet);
        }
        catch (CryptographicException e)
        {
            throw new InvalidOperationException($"{setting}: {path} is not a PKCS#12 file that its password opens ({e.Message}).", e);
        }
    }
}

/// <summary>
/// /health/ready reports the token keys: a node that could not read them, or whose signing certificate has expired, must
/// not take traffic (Unhealthy, 503). One expiring within <see cref="Health.HealthOptions.CertificateWarning"/> is
/// Degraded: reported in the body and alerted on while the node still serves, so it is replaced before tokens stop.
/// The body carries the days left, never the file's path or the key.
/// </summary>
internal sealed class TokenCertificatesReadiness(TokenOptions options, Health.HealthOptions health, TimeProvider clock, ILogger<TokenCertificatesReadiness> log) : IHealthCheck
{
    private static readonly string[] Settings =
        ["Tokens:SigningCertificatePath", "Tokens:NextSigningCertificatePath", "Tokens:PreviousSigningCertificatePath", "Tokens:EncryptionCertificatePath"];

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        TokenCertificates certificates;
        try
        {
            // Read again, not cached: a file replaced by a broken one (a rotation gone wrong) shows here before a restart fails.
            certificates = TokenCertificates.Load(options);
        }
        catch (InvalidOperationException e)
        {
            log.LogError("Token keys unreadable: {Reason}", e.Message);
            var setting = Settings.FirstOrDefault(e.Message.Contains) ?? "Tokens";
            return Task.FromResult(HealthCheckResult.Unhealthy($"the token keys could not be read ({setting}; the log says why)"));
        }
        var left = certificates.SigningNotAfter - clock.GetUtcNow();
        var data = new Dictionary<string, object> { ["signingCertificateDaysLeft"] = Math.Round(left.TotalDays, 1) };
        return Task.FromResult(left <= TimeSpan.Zero ? HealthCheckResult.Unhealthy("the signing certificate has expired", data: data)
            : left < health.CertificateWarning ? HealthCheckResult.Degraded($"the signing certificate expires within {health.CertificateWarning.TotalDays:0} days", data: data)
            : HealthCheckResult.Healthy("signing certificate valid", data));
    }
}
