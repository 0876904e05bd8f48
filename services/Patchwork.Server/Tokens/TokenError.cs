using System.Text.Json.Serialization;

namespace Patchwork.Server.Tokens;

/// <summary>An RFC 6749 §5.2 error response.</summary>
internal sealed record TokenError(
    [property: JsonPropertyName("error")] string Error,
    [property: JsonPropertyName("error_description")] string Description)
{
    [JsonIgnore] public int Status => Error == "invalid_client" ? StatusCodes.Status401Unauthorized : StatusCodes.Status400BadRequest;

    /// <summary>Set when the client tried HTTP Basic: RFC 6749 §5.2 then requires a matching challenge.</summary>
    [JsonIgnore] public bool ChallengeBasic { get; init; }

    public static TokenError InvalidRequest(string description) => new("invalid_request", description);
    public static TokenError InvalidClient(string description) => new("invalid_client", description);
    public static TokenError InvalidScope(string description) => new("invalid_scope", description);
    public static TokenError UnsupportedGrantType(string description) => new("unsupported_grant_type", description);
}

/// <summary>An RFC 6749 §5.1 success response.</summary>
internal sealed record TokenResponse(
    [property: JsonPropertyName("access_token")] string AccessToken,
    [property: JsonPropertyName("token_type")] string TokenType,
    [property: JsonPropertyName("expires_in")] long ExpiresIn,
    [property: JsonPropertyName("scope")] string Scope);
