using System.Text.Json;

namespace Patchwork.SamplePartner;

/// <summary>
/// Who this partner system is at Patchwork's API: the issuer whose metadata names the token endpoint, its client id, and
/// the id and file of the private key whose public half was registered. Paths and ids only, no key material.
/// </summary>
public sealed record PartnerApiSettings(Uri Issuer, string ClientId, string KeyId, string PrivateKeyFile);

/// <summary>
/// What Patchwork's registration returned (<c>POST /api/v1/organisations/{org}/partner-systems</c>), with where this
/// system keeps its private key: read from the JSON file the demo writes, or from <c>PARTNER_*</c> environment variables.
/// </summary>
public sealed record PartnerRegistration(PartnerSettings Broker, PartnerApiSettings Api)
{
    public static PartnerRegistration FromFile(string path)
    {
        using var document = JsonDocument.Parse(File.ReadAllBytes(path));
        var root = document.RootElement;
        string Text(JsonElement parent, string name, string where) =>
            parent.TryGetProperty(name, out var value) && value.GetString() is { Length: > 0 } text ? text : throw new InvalidDataException($"{path}: {where}{name} is missing");
        var key = root.TryGetProperty("privateKeyJwt", out var nested)
            ? nested
            : throw new InvalidDataException($"{path}: privateKeyJwt is missing (a registration from before the sample used the API: restart the demo to register again)");
        return new PartnerRegistration(PartnerSettings.FromRegistrationFile(path),
            new PartnerApiSettings(new Uri(Text(root, "issuer", ""), UriKind.Absolute), Text(root.GetProperty("partnerSystem"), "clientId", "partnerSystem."),
                Text(key, "keyId", "privateKeyJwt."), Text(key, "privateKeyFile", "privateKeyJwt.")));
    }

    public static PartnerRegistration FromEnvironment()
    {
        static string Get(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException($"Set {name}, or pass --registration FILE.");
        return new PartnerRegistration(PartnerSettings.FromEnvironment(),
            new PartnerApiSettings(new Uri(Get("PARTNER_ISSUER"), UriKind.Absolute), Get("PARTNER_CLIENT_ID"), Get("PARTNER_KEY_ID"), Get("PARTNER_KEY_FILE")));
    }
}
