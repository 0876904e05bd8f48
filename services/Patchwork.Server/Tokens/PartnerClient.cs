using Microsoft.IdentityModel.Tokens;
using Patchwork.Core;

namespace Patchwork.Server.Tokens;

/// <summary>
/// A partner system registered to call the API, stored as an OpenIddict application: its OAuth client id is its
/// <see cref="PartnerSystemId"/>, and every token it gets acts for its one organisation.
/// </summary>
public sealed record PartnerClient(
    PartnerSystemId ClientId,
    OrganisationId Organisation,
    string DisplayName,
    IReadOnlyList<string> AllowedScopes,
    IReadOnlyList<JsonWebKey> PublicKeys,
    bool HasSecret,
    bool Disabled,
    DateTimeOffset CreatedAt)
{
    public string OAuthClientId => ClientId.Value.ToString();

    public static bool TryParseClientId(string? value, out PartnerSystemId clientId)
    {
        // Only the canonical lower-case form: one client, one spelling of its id in tokens and logs.
        if (Guid.TryParseExact(value, "D", out var guid) && string.Equals(value, guid.ToString("D"), StringComparison.Ordinal))
        {
            clientId = new PartnerSystemId(guid);
            return true;
        }
        clientId = default;
        return false;
    }
}

/// <summary>What an administrator supplies to register a partner client.</summary>
public sealed record PartnerClientRegistration(
    PartnerSystemId ClientId,
    OrganisationId Organisation,
    string DisplayName,
    IReadOnlyCollection<string> AllowedScopes,
    string? PublicJwk = null);
