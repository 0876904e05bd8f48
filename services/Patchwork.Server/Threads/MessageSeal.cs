using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.DataProtection;
using Patchwork.Core;
using Patchwork.Core.Threads;

namespace Patchwork.Server.Threads;

/// <summary>
/// Message bodies at rest: AES-256-GCM under a key of the client's own, bound to the message and client ids (a sealed
/// body moved to another row does not open). Each client key is stored wrapped by DataProtection, whose key ring lives in
/// PostgreSQL under the key ring certificate; deleting the client's key erases every body of theirs (DESIGN.md §6).
/// </summary>
public sealed class MessageSeal(IDataProtectionProvider dataProtection)
{
    private const int NonceSize = 12;
    private const int TagSize = 16;
    private readonly IDataProtector _wrapping = dataProtection.CreateProtector("Patchwork.Threads.ClientMessageKey.v1");

    public static byte[] NewKey() => RandomNumberGenerator.GetBytes(32);

    public byte[] Wrap(byte[] key) => _wrapping.Protect(key);

    public byte[] Unwrap(byte[] wrapped) => _wrapping.Unprotect(wrapped);

    public static byte[] Seal(byte[] key, ClientId client, MessageId message, string body)
    {
        ArgumentNullException.ThrowIfNull(body);
        var plain = Encoding.UTF8.GetBytes(body);
        var sealedBody = new byte[NonceSize + plain.Length + TagSize];
        var nonce = sealedBody.AsSpan(0, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(key, TagSize);
        aes.Encrypt(nonce, plain, sealedBody.AsSpan(NonceSize, plain.Length), sealedBody.AsSpan(NonceSize + plain.Length), Bound(client, message));
        return sealedBody;
    }

    public static string Open(byte[] key, ClientId client, MessageId message, byte[] sealedBody)
    {
        ArgumentNullException.ThrowIfNull(sealedBody);
        var length = sealedBody.Length - NonceSize - TagSize;
        var plain = new byte[length];
        using var aes = new AesGcm(key, TagSize);
        aes.Decrypt(sealedBody.AsSpan(0, NonceSize), sealedBody.AsSpan(NonceSize, length), sealedBody.AsSpan(NonceSize + length), plain, Bound(client, message));
        return Encoding.UTF8.GetString(plain);
    }

    private static byte[] Bound(ClientId client, MessageId message) => [.. client.Value.ToByteArray(), .. message.Value.ToByteArray()];
}
