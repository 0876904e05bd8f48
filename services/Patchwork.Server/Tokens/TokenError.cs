using System.Text.Json.Serialization;

namespace Patchwork.Server.Tokens;

/// <summary>An RFC 6749 §5.2 error body, for the one refusal OpenIddict does not write: the rate limit's 429.</summary>
internal sealed record TokenError(
    [property: JsonPropertyName("error")] string Error,
    [property: JsonPropertyName("error_description")] string Description);
