using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Identity;

namespace Patchwork.Server.SignIn;

/// <summary>
/// Identity's authenticator check (RFC 6238: HMAC-SHA1, 30-second steps, six digits, two steps either side for clock
/// drift) on the host's <see cref="TimeProvider"/>, and once per account (§5.2): the step a code matched is recorded in
/// <see cref="SignInRecords"/>, and a code of that step or an earlier one is refused, on every node.
/// </summary>
internal sealed class SingleUseAuthenticatorCodes(SignInRecords records, TimeProvider clock) : IUserTwoFactorTokenProvider<ApplicationUser>
{
    private const int StepSeconds = 30;
    private const int Drift = 2;

    public Task<string> GenerateAsync(string purpose, UserManager<ApplicationUser> manager, ApplicationUser user) => Task.FromResult(string.Empty);

    public async Task<bool> CanGenerateTwoFactorTokenAsync(UserManager<ApplicationUser> manager, ApplicationUser user)
    {
        ArgumentNullException.ThrowIfNull(manager);
        return !string.IsNullOrWhiteSpace(await manager.GetAuthenticatorKeyAsync(user));
    }

    public async Task<bool> ValidateAsync(string purpose, string token, UserManager<ApplicationUser> manager, ApplicationUser user)
    {
        ArgumentNullException.ThrowIfNull(manager);
        ArgumentNullException.ThrowIfNull(user);
        if (token is not { Length: 6 } || !token.All(char.IsAsciiDigit)) return false;
        if (await manager.GetAuthenticatorKeyAsync(user) is not { Length: > 0 } encoded || FromBase32(encoded) is not { Length: > 0 } key) return false;
        var now = clock.GetUtcNow().ToUnixTimeSeconds() / StepSeconds;
        var given = Encoding.ASCII.GetBytes(token);
        long? matched = null;
        // Every step is computed, so the time taken does not say which one matched.
        for (var step = now - Drift; step <= now + Drift; step++)
        {
            if (CryptographicOperations.FixedTimeEquals(given, Encoding.ASCII.GetBytes(Code(key, step)))) matched ??= step;
        }
        return matched is { } accepted && await records.AcceptAuthenticatorStepAsync(user.Id, accepted, CancellationToken.None);
    }

    private static string Code(byte[] key, long step)
    {
        Span<byte> counter = stackalloc byte[8];
        BinaryPrimitives.WriteInt64BigEndian(counter, step);
        Span<byte> hash = stackalloc byte[HMACSHA1.HashSizeInBytes];
        HMACSHA1.HashData(key, counter, hash);
        var offset = hash[^1] & 0x0f;
        var binary = BinaryPrimitives.ReadInt32BigEndian(hash[offset..]) & 0x7fffffff;
        return (binary % 1_000_000).ToString("D6", CultureInfo.InvariantCulture);
    }

    private static byte[]? FromBase32(string text)
    {
        const string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        var output = new List<byte>(text.Length * 5 / 8);
        int buffer = 0, bits = 0;
        foreach (var c in text)
        {
            if (c is '=' or ' ') continue;
            var value = alphabet.IndexOf(char.ToUpperInvariant(c), StringComparison.Ordinal);
            if (value < 0) return null;
            buffer = (buffer << 5) | value;
            bits += 5;
            if (bits >= 8)
            {
                output.Add((byte)(buffer >> (bits - 8)));
                bits -= 8;
            }
        }
        return [.. output];
    }
}
