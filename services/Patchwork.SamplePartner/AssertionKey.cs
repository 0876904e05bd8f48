using System.Security.Cryptography;
using Microsoft.IdentityModel.Tokens;

namespace Patchwork.SamplePartner;

/// <summary>
/// The private half of the EC P-256 key whose public half Patchwork has registered for this system (private_key_jwt).
/// Read from a PKCS#8 PEM file that only its owner may read; it signs client assertions and is never printed: its
/// <see cref="ToString"/> names the key id only.
/// </summary>
public sealed class AssertionKey : IDisposable
{
    private const string P256 = "1.2.840.10045.3.1.7";
    private readonly ECDsa _key;

    private AssertionKey(string keyId, ECDsa key)
    {
        (KeyId, _key) = (keyId, key);
        // IdentityModel caches signers by the public key: one cached for an earlier, disposed copy of this key would sign with it.
        Credentials = new SigningCredentials(new ECDsaSecurityKey(key)
        {
            KeyId = keyId,
            CryptoProviderFactory = new CryptoProviderFactory { CacheSignatureProviders = false },
        }, SecurityAlgorithms.EcdsaSha256);
    }

    public string KeyId { get; }

    public SigningCredentials Credentials { get; }

    public static AssertionKey FromPemFile(string keyId, string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(keyId);
        if (!File.Exists(path)) throw new FileNotFoundException($"No private key file at {path}.", path);
        // Like ssh with its keys: a private key others may read is refused rather than used.
        if (!OperatingSystem.IsWindows() &&
            (File.GetUnixFileMode(path) & (UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.OtherRead | UnixFileMode.OtherWrite)) != 0)
            throw new InvalidOperationException($"{path} may be read by others: make it owner-only (chmod 600) before using it.");
        var key = ECDsa.Create();
        try
        {
            key.ImportFromPem(File.ReadAllText(path));
        }
        catch (Exception e) when (e is ArgumentException or CryptographicException)
        {
            key.Dispose();
            // The exception's message is about the PEM's shape, never its content.
            throw new InvalidOperationException($"{path} is not a PEM-encoded EC private key ({e.Message}).", e);
        }
        if (key.ExportParameters(includePrivateParameters: false).Curve.Oid.Value != P256)
        {
            key.Dispose();
            throw new InvalidOperationException($"{path} must hold an EC key on curve P-256 (ES256).");
        }
        return new AssertionKey(keyId, key);
    }

    public override string ToString() => $"ES256 key {KeyId}";

    public void Dispose() => _key.Dispose();
}
