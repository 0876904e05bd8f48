using System.Security.Cryptography;

namespace Patchwork.Core.Access;

/// <summary>The partnership's settings for the access policy.</summary>
public sealed record PolicyOptions(MaskingKey MaskingKey)
{
    /// <summary>An ended involvement stays visible through rule 2 for fewer than this many days after its end date.</summary>
    public int EndedVisibilityDays { get; init; } = 90;
}

/// <summary>The secret that keys masked handles; rotating it only changes the handles viewers see.</summary>
public sealed class MaskingKey
{
    public const int MinimumLength = 32;

    private readonly byte[] key;

    private MaskingKey(byte[] key) => this.key = key;

    public static MaskingKey Generate() => new(RandomNumberGenerator.GetBytes(MinimumLength));

    public static MaskingKey From(ReadOnlySpan<byte> key) =>
        key.Length >= MinimumLength ? new(key.ToArray()) : throw new ArgumentException($"a masking key has at least {MinimumLength} bytes", nameof(key));

    internal MaskedHandle Mask(Viewer viewer, ClientId client, InvolvementId involvement)
    {
        var input = System.Text.Encoding.UTF8.GetBytes($"patchwork.masked.v1|{viewer.Key}|{client.Value:N}|{involvement.Value:N}");
        var hash = HMACSHA256.HashData(key, input);
        return new MaskedHandle(Convert.ToBase64String(hash, 0, 16).TrimEnd('=').Replace('+', '-').Replace('/', '_'));
    }
}
