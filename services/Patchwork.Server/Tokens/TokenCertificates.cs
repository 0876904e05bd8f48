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
    private TokenCertificates(ECDsaSecurityKey signing, IReadOnlyList<ECDsaSecurityKey> publishedOnly, X509Certificate2 encryption)
    {
        Signing = signing;
        PublishedOnly = publishedOnly;
        Encryption = encryption;
    }

    /// <summary>The key that signs every access token now.</summary>
    public ECDsaSecurityKey Signing { get; }

    /// <summary>Keys in the JWKS that do not sign: a successor being published ahead, or a predecessor whose tokens still live.</summary>
    public IReadOnlyList<ECDsaSecurityKey> PublishedOnly { get; }

    public X509Certificate2 Encryption { get; }

    public static TokenCertificates Load(TokenOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var signing = SigningKey(options.SigningCertificatePath, options.SigningCertificatePassword, "Tokens:SigningCertificatePath")
            ?? throw new InvalidOperationException("Tokens:SigningCertificatePath is not set: the token server needs a PKCS#12 file with an EC P-256 key (infra/local makes one for development).");
        var published = new List<ECDsaSecurityKey>();
        foreach (var (path, password, setting) in new[]
                 {
                     (options.NextSigningCertificatePath, options.NextSigningCertificatePassword, "Tokens:NextSigningCertificatePath"),
                     (options.PreviousSigningCertificatePath, options.PreviousSigningCertificatePassword, "Tokens:PreviousSigningCertificatePath"),
                 })
        {
            if (SigningKey(path, password, setting) is { } key) published.Add(key);
        }
        var encryption = Open(options.EncryptionCertificatePath, options.EncryptionCertificatePassword, "Tokens:EncryptionCertificatePath")
            ?? throw new InvalidOperationException("Tokens:EncryptionCertificatePath is not set: OpenIddict needs a PKCS#12 file with an RSA key (infra/local makes one for development).");
        if (encryption.GetRSAPrivateKey() is null)
            throw new InvalidOperationException("Tokens:EncryptionCertificatePath must hold an RSA certificate with its private key.");
        return new TokenCertificates(signing, published, encryption);
    }

    private static ECDsaSecurityKey? SigningKey(string path, string password, string setting)
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
        return new ECDsaSecurityKey(ecdsa) { KeyId = Base64UrlEncoder.Encode(certificate.GetCertHash(HashAlgorithmName.SHA256)) };
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

/// <summary>/health/ready reports the token keys: a node that could not read them must not take traffic.</summary>
internal sealed class TokenCertificatesReadiness(TokenOptions options) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            // Read again, not cached: a file replaced by a broken one (a rotation gone wrong) shows here before a restart fails.
            TokenCertificates.Load(options);
            return Task.FromResult(HealthCheckResult.Healthy());
        }
        catch (InvalidOperationException e)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy(e.Message));
        }
    }
}
