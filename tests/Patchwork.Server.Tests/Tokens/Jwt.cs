using System.Security.Cryptography;
using System.Text;
using Microsoft.IdentityModel.Tokens;

namespace Patchwork.Server.Tests.Tokens;

/// <summary>Hand-built JWTs for the attacks a well-behaved library would never produce.</summary>
public static class Jwt
{
    public static string Unsigned(string headerJson, string payloadJson) => $"{Part(headerJson)}.{Part(payloadJson)}.";

    public static string Hs256(string headerJson, string payloadJson, byte[] secret)
    {
        var signingInput = $"{Part(headerJson)}.{Part(payloadJson)}";
        return $"{signingInput}.{Base64UrlEncoder.Encode(HMACSHA256.HashData(secret, Encoding.ASCII.GetBytes(signingInput)))}";
    }

    public static string Header(string encodedToken) => Base64UrlEncoder.Decode(encodedToken.Split('.')[0]);

    public static string Payload(string encodedToken) => Base64UrlEncoder.Decode(encodedToken.Split('.')[1]);

    private static string Part(string json) => Base64UrlEncoder.Encode(json);
}
