using System.Security.Cryptography;
using System.Text;
using Microsoft.IdentityModel.Tokens;

namespace Patchwork.Server.Tokens;

/// <summary>
/// Client secrets for <c>client_secret_basic</c>. We generate every secret (256 random bits), so a per-secret random
/// salt with HMAC-SHA-256 makes a stolen table useless without a deliberately slow hash, which would only hand an
/// attacker a cheap way to load the token endpoint.
/// </summary>
public static class ClientSecret
{
    private const string Format = "hmac-sha256";

    // Checked when a client has no secret, so an unknown client costs what a known one does.
    private static readonly string DecoyHash = Hash(Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(32)));

    public static string Generate() => Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(32));

    public static string Hash(string secret)
    {
        ArgumentNullException.ThrowIfNull(secret);
        var salt = RandomNumberGenerator.GetBytes(16);
        return $"{Format}${Convert.ToBase64String(salt)}${Convert.ToBase64String(Mac(salt, secret))}";
    }

    public static bool Matches(string? storedHash, string presented)
    {
        ArgumentNullException.ThrowIfNull(presented);
        var parts = (storedHash ?? DecoyHash).Split('$');
        if (parts.Length != 3 || parts[0] != Format) return false;
        var expected = Convert.FromBase64String(parts[2]);
        var actual = Mac(Convert.FromBase64String(parts[1]), presented);
        return CryptographicOperations.FixedTimeEquals(expected, actual) && storedHash is not null;
    }

    private static byte[] Mac(byte[] salt, string secret) => HMACSHA256.HashData(salt, Encoding.UTF8.GetBytes(secret));
}
