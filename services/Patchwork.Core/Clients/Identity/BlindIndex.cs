using System.Security.Cryptography;
using System.Text;

namespace Patchwork.Core.Clients;

/// <summary>
/// Keyed hashes (HMAC-SHA256) of normalised identity fields, so the database can be searched for a client
/// without holding any identifying value in clear. The key lives outside the database (configuration);
/// each kind of field is hashed under its own label so equal strings in different fields never match.
/// </summary>
public sealed class BlindIndex
{
    private readonly byte[] _key;

    public BlindIndex(byte[] key)
    {
        if (key.Length < 32) throw new ArgumentException("The blind index key must be at least 32 bytes.", nameof(key));
        _key = key.ToArray();
    }

    public static BlindIndex FromBase64(string? key) =>
        string.IsNullOrWhiteSpace(key)
            ? throw new InvalidOperationException("PersonalData:BlindIndexKey is not set (32 random bytes, base64).")
            : new BlindIndex(Convert.FromBase64String(key));

    public byte[] Of(NhsNumber nhsNumber) => Hash("nhs", nhsNumber.Digits);

    public byte[] OfNameAndBirth(string familyName, DateOnly dateOfBirth) =>
        Hash("name+dob", $"{Normalise.FamilyName(familyName)}|{dateOfBirth:yyyy-MM-dd}");

    public byte[] OfPostcode(string postcode) => Hash("postcode", Normalise.Postcode(postcode));

    public byte[] OfLocalReference(OrganisationId organisation, string reference) =>
        Hash("local-ref", $"{organisation.Value:N}|{reference.Trim().ToUpperInvariant()}");

    private byte[] Hash(string label, string normalised) =>
        HMACSHA256.HashData(_key, Encoding.UTF8.GetBytes(label + "\u001f" + normalised));
}
