using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.Features;

namespace Patchwork.Server.Tokens;

/// <summary><c>POST /connect/token</c>: the client credentials grant, and nothing else.</summary>
internal static class TokenEndpoint
{
    public const string ClientCredentials = "client_credentials";
    public const int MaxRequestBytes = 16 * 1024;

    /// <summary>Small limits for a form that holds a grant type, a scope and one assertion.</summary>
    public static FormOptions FormLimits { get; } = new()
    {
        ValueCountLimit = 16,
        KeyLengthLimit = 64,
        ValueLengthLimit = MaxRequestBytes,
        MultipartBodyLengthLimit = MaxRequestBytes,
        BufferBody = true,
    };

    public static async Task HandleAsync(HttpContext context, ClientAuthentication clients, ITokenIssuer issuer)
    {
        var response = context.Response;
        response.Headers.CacheControl = "no-store";
        response.Headers.Pragma = "no-cache";
        var (token, error) = await IssueAsync(context, clients, issuer);
        if (error is not null)
        {
            if (error.ChallengeBasic) response.Headers.WWWAuthenticate = "Basic realm=\"patchwork\", charset=\"UTF-8\"";
            response.StatusCode = error.Status;
            await response.WriteAsJsonAsync(error, context.RequestAborted);
            return;
        }
        await response.WriteAsJsonAsync(token, context.RequestAborted);
    }

    private static async Task<(TokenResponse?, TokenError?)> IssueAsync(HttpContext context, ClientAuthentication clients, ITokenIssuer issuer)
    {
        var request = context.Request;
        if (!request.HasFormContentType || request.ContentType?.StartsWith("application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase) != true)
            return (null, TokenError.InvalidRequest("The request must be application/x-www-form-urlencoded."));
        if (request.ContentLength is null or > MaxRequestBytes)
            return (null, TokenError.InvalidRequest($"The request must state its length and be at most {MaxRequestBytes} bytes."));
        IFormCollection form;
        try
        {
            form = await ReadFormAsync(context);
        }
        catch (InvalidDataException)
        {
            return (null, TokenError.InvalidRequest("The form is malformed or too large."));
        }
        // RFC 6749 §3.2: request parameters must not be repeated.
        if (form.Any(parameter => parameter.Value.Count > 1))
            return (null, TokenError.InvalidRequest("A parameter is repeated."));
        var grantType = form["grant_type"].ToString();
        if (grantType.Length == 0) return (null, TokenError.InvalidRequest("grant_type is required."));
        if (grantType != ClientCredentials) return (null, TokenError.UnsupportedGrantType("Only client_credentials is supported."));

        var (client, error) = await clients.AuthenticateAsync(request, form, context.RequestAborted);
        if (client is null) return (null, error);

        var requested = PartnerScopes.Parse(form["scope"]);
        var scopes = requested.Count == 0 ? client.AllowedScopes : requested;
        if (scopes.Count == 0) return (null, TokenError.InvalidScope("The client has no scopes."));
        var notGranted = scopes.Where(scope => !client.AllowedScopes.Contains(scope, StringComparer.Ordinal)).ToList();
        if (notGranted.Count > 0) return (null, TokenError.InvalidScope($"The client is not granted: {string.Join(' ', notGranted)}."));

        var issued = await issuer.IssueAsync(client, scopes, context.RequestAborted);
        return (new TokenResponse(issued.AccessToken, "Bearer", (long)issued.ExpiresIn.TotalSeconds, string.Join(' ', issued.Scopes)), null);
    }

    /// <summary>Reads the form once under tight limits; the rate limiter's partitioner reads the same cached form.</summary>
    public static async Task<IFormCollection> ReadFormAsync(HttpContext context)
    {
        if (context.Features.Get<IFormFeature>()?.Form is { } alreadyRead) return alreadyRead;
        context.Features.Set<IFormFeature>(new FormFeature(context.Request, FormLimits));
        return await context.Request.ReadFormAsync(context.RequestAborted);
    }

    /// <summary>RFC 8414 authorization server metadata.</summary>
    public static IResult Metadata(TokenOptions options) => TypedResults.Json(new JsonObject
    {
        ["issuer"] = options.Issuer,
        ["token_endpoint"] = options.TokenEndpoint,
        ["jwks_uri"] = options.JwksUri,
        ["grant_types_supported"] = new JsonArray(ClientCredentials),
        ["token_endpoint_auth_methods_supported"] = new JsonArray(ClientAuthentication.PrivateKeyJwt, ClientAuthentication.ClientSecretBasic),
        ["token_endpoint_auth_signing_alg_values_supported"] = new JsonArray(PartnerPublicKey.AssertionAlgorithms.Select(alg => (JsonNode)alg!).ToArray()),
        ["scopes_supported"] = new JsonArray(PartnerScopes.All.Select(scope => (JsonNode)scope!).ToArray()),
        ["response_types_supported"] = new JsonArray(),
    });

    /// <summary>Our public signing keys: the current one, its published successor and any predecessor still in overlap.</summary>
    public static async Task<IResult> Jwks(HttpContext context, SigningKeyRing keys, TokenOptions options)
    {
        var published = await keys.PublishedKeysAsync(context.RequestAborted);
        // Caches must refetch well within the publication lead, or a new key could sign before they have seen it.
        var maxAge = (int)Math.Min(3600, options.SigningKeyPublicationLead.TotalSeconds / 4);
        context.Response.Headers.CacheControl = $"public, max-age={maxAge}";
        return TypedResults.Json(new JsonObject
        {
            ["keys"] = new JsonArray(published.Select(key => (JsonNode)PartnerPublicKey.ToPublicJson(key)).ToArray()),
        });
    }
}
