using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.IdentityModel.Tokens;

namespace Patchwork.Server.Tokens;

/// <summary>
/// A partner's registered public key, checked on the way in: RSA of 2048 bits or more, or EC P-256; no private
/// or symmetric material; a key id (the RFC 7638 thumbprint when the partner gave none).
/// </summary>
public static class PartnerPublicKey
{
    /// <summary>The only algorithms a client assertion may use: asymmetric, never <c>none</c>, never HMAC.</summary>
    public static IReadOnlyList<string> AssertionAlgorithms { get; } =
        [SecurityAlgorithms.RsaSha256, SecurityAlgorithms.EcdsaSha256, SecurityAlgorithms.RsaSsaPssSha256];

    private static readonly string[] PrivateMembers = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

    /// <summary>Parses and checks a public JWK, returning it reduced to its public members.</summary>
    public static JsonWebKey Parse(string jwkJson)
    {
        JsonObject source;
        try
        {
            source = JsonNode.Parse(jwkJson) as JsonObject ?? throw new ArgumentException("A JWK is a JSON object.", nameof(jwkJson));
        }
        catch (JsonException e)
        {
            throw new ArgumentException("The JWK is not valid JSON.", nameof(jwkJson), e);
        }
        if (PrivateMembers.Any(source.ContainsKey))
            throw new ArgumentException("The JWK holds private or symmetric key material; register the public key only.", nameof(jwkJson));
        var kty = Text(source, "kty");
        var use = Text(source, "use");
        var alg = Text(source, "alg");
        if (use is not null && use != "sig")
            throw new ArgumentException("The JWK's use must be sig.", nameof(jwkJson));

        var reduced = new JsonObject { ["kty"] = kty };
        switch (kty)
        {
            case "RSA":
                var modulus = Base64UrlEncoder.DecodeBytes(Text(source, "n") ?? throw new ArgumentException("An RSA JWK needs n.", nameof(jwkJson)));
                if (modulus.SkipWhile(b => b == 0).Count() * 8 < 2048)
                    throw new ArgumentException("An RSA key must have at least 2048 bits.", nameof(jwkJson));
                if (alg is not null and not SecurityAlgorithms.RsaSha256 and not SecurityAlgorithms.RsaSsaPssSha256)
                    throw new ArgumentException("An RSA key's alg must be RS256 or PS256.", nameof(jwkJson));
                reduced["n"] = Text(source, "n");
                reduced["e"] = Text(source, "e") ?? throw new ArgumentException("An RSA JWK needs e.", nameof(jwkJson));
                break;
            case "EC":
                if (Text(source, "crv") != "P-256")
                    throw new ArgumentException("An EC key must be on curve P-256.", nameof(jwkJson));
                if (alg is not null and not SecurityAlgorithms.EcdsaSha256)
                    throw new ArgumentException("An EC key's alg must be ES256.", nameof(jwkJson));
                reduced["crv"] = "P-256";
                reduced["x"] = Text(source, "x") ?? throw new ArgumentException("An EC JWK needs x.", nameof(jwkJson));
                reduced["y"] = Text(source, "y") ?? throw new ArgumentException("An EC JWK needs y.", nameof(jwkJson));
                break;
            default:
                throw new ArgumentException("Only RSA and EC public keys are accepted.", nameof(jwkJson));
        }
        if (use is not null) reduced["use"] = use;
        if (alg is not null) reduced["alg"] = alg;

        var key = new JsonWebKey(reduced.ToJsonString());
        var kid = Text(source, "kid") ?? Base64UrlEncoder.Encode(key.ComputeJwkThumbprint());
        if (kid.Length is 0 or > 128)
            throw new ArgumentException("The JWK's kid must be 1 to 128 characters.", nameof(jwkJson));
        reduced["kid"] = kid;
        return new JsonWebKey(reduced.ToJsonString());
    }

    /// <summary>The public members of a key as JSON, for the client table or a JWKS document.</summary>
    public static JsonObject ToPublicJson(JsonWebKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        var json = new JsonObject { ["kty"] = key.Kty, ["kid"] = key.Kid };
        if (key.Use is { Length: > 0 }) json["use"] = key.Use;
        if (key.Alg is { Length: > 0 }) json["alg"] = key.Alg;
        if (key.Kty == "RSA")
        {
            json["n"] = key.N;
            json["e"] = key.E;
        }
        else
        {
            json["crv"] = key.Crv;
            json["x"] = key.X;
            json["y"] = key.Y;
        }
        return json;
    }

    private static string? Text(JsonObject json, string name) =>
        json.TryGetPropertyValue(name, out var node) && node is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;
}
