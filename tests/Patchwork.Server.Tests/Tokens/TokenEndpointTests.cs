using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Patchwork.Server.Tokens;

namespace Patchwork.Server.Tests.Tokens;

/// <summary>The token endpoint and the API's PartnerBearer scheme against the checklist of issue 5.</summary>
public sealed class TokenEndpointTests(TokenServer server) : IClassFixture<TokenServer>
{
    [Fact]
    public async Task A_private_key_jwt_client_gets_an_at_jwt_token_that_the_api_accepts()
    {
        var partner = await server.GivenPartnerAsync(PartnerScopes.Read, PartnerScopes.InvolvementsWrite);

        var response = await server.RequestTokenAsync(partner.Assertion(), PartnerScopes.Read);

        response.StatusCode.ShouldBe(HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        body.GetProperty("token_type").GetString().ShouldBe("Bearer");
        body.GetProperty("expires_in").GetInt32().ShouldBeInRange(299, 300, "OpenIddict counts the seconds left, rounded down");
        // RFC 6749 §5.1: scope may be left out when it is what was asked for, and OpenIddict leaves it out.
        if (body.TryGetProperty("scope", out var scope)) scope.GetString().ShouldBe(PartnerScopes.Read);
        var token = new JsonWebToken(body.GetProperty("access_token").GetString());
        token.Typ.ShouldBe("at+jwt");
        token.Alg.ShouldBe("ES256");
        (await server.JwksAsync()).GetProperty("keys").EnumerateArray().Select(key => key.GetProperty("kid").GetString()).ShouldContain(token.Kid);
        token.Issuer.ShouldBe(TokenServer.IssuerIdentifier);
        token.Subject.ShouldBe(partner.ClientId);
        token.Audiences.ShouldBe([TokenServer.Audience]);
        token.GetClaim("client_id").Value.ShouldBe(partner.ClientId);
        token.GetClaim("org").Value.ShouldBe(partner.Client.Organisation.Value.ToString());
        token.GetClaim("scope").Value.ShouldBe(PartnerScopes.Read);
        token.Id.ShouldNotBeNullOrEmpty();
        (token.ValidTo - token.IssuedAt).ShouldBe(TimeSpan.FromMinutes(5));

        var whoami = await server.WhoAmIAsync(token.EncodedToken);
        whoami.StatusCode.ShouldBe(HttpStatusCode.OK);
        var me = await whoami.Content.ReadFromJsonAsync<JsonElement>();
        me.GetProperty("clientId").GetString().ShouldBe(partner.ClientId);
        me.GetProperty("organisationId").GetString().ShouldBe(partner.Client.Organisation.Value.ToString());
        me.GetProperty("scopes").EnumerateArray().Select(scope => scope.GetString()).ShouldBe([PartnerScopes.Read]);
    }

    [Fact]
    public async Task Client_secret_basic_works_and_a_wrong_secret_fails_with_a_basic_challenge()
    {
        var partner = await server.GivenPartnerAsync(PartnerScopes.Read);
        var secret = await server.Directory.IssueSecretAsync(partner.Client.ClientId, CancellationToken.None);

        var granted = await server.RequestTokenWithSecretAsync(partner.ClientId, secret);
        granted.StatusCode.ShouldBe(HttpStatusCode.OK);
        var token = (await granted.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("access_token").GetString()!;
        (await server.WhoAmIAsync(token)).StatusCode.ShouldBe(HttpStatusCode.OK);

        var refused = await server.RequestTokenWithSecretAsync(partner.ClientId, secret[..^1] + (secret[^1] == 'A' ? 'B' : 'A'));
        refused.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await Partner.ErrorOf(refused)).ShouldBe("invalid_client");
        refused.Headers.WwwAuthenticate.Single().Scheme.ShouldBe("Basic");

        (await server.StoredSecretAsync(partner)).ShouldNotBeNull().ShouldNotContain(secret);
    }

    [Fact]
    public async Task An_alg_none_assertion_and_an_alg_none_access_token_are_refused()
    {
        var partner = await server.GivenPartnerAsync(PartnerScopes.Read);
        var now = server.Clock.GetUtcNow().ToUnixTimeSeconds();
        var assertion = Jwt.Unsigned($$"""{"alg":"none","typ":"client-authentication+jwt","kid":"{{partner.Key.KeyId}}"}""",
            $$"""{"iss":"{{partner.ClientId}}","sub":"{{partner.ClientId}}","aud":"{{TokenServer.IssuerIdentifier}}","exp":{{now + 60}},"jti":"{{Guid.NewGuid()}}"}""");
        var accessToken = Jwt.Unsigned("""{"alg":"none","typ":"at+jwt"}""", AccessTokenPayload(partner, now));

        var tokenResponse = await server.RequestTokenAsync(assertion);
        tokenResponse.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await Partner.ErrorOf(tokenResponse)).ShouldBe("invalid_client");
        (await server.WhoAmIAsync(accessToken)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task An_hs256_token_keyed_with_a_public_key_is_refused_as_assertion_and_as_access_token()
    {
        var partner = await server.GivenPartnerAsync(PartnerScopes.Read);
        var now = server.Clock.GetUtcNow().ToUnixTimeSeconds();
        var partnerPublicJwk = JsonSerializer.Serialize(partner.Client.PublicKeys.Single());
        var assertion = Jwt.Hs256($$"""{"alg":"HS256","typ":"client-authentication+jwt","kid":"{{partner.Key.KeyId}}"}""",
            $$"""{"iss":"{{partner.ClientId}}","sub":"{{partner.ClientId}}","aud":"{{TokenServer.IssuerIdentifier}}","exp":{{now + 60}},"jti":"{{Guid.NewGuid()}}"}""",
            Encoding.UTF8.GetBytes(partnerPublicJwk));
        var ourKey = (await server.JwksAsync()).GetProperty("keys")[0];
        using var ourEcdsa = ECDsa.Create(new ECParameters
        {
            Curve = ECCurve.NamedCurves.nistP256,
            Q = new ECPoint { X = Base64UrlEncoder.DecodeBytes(ourKey.GetProperty("x").GetString()), Y = Base64UrlEncoder.DecodeBytes(ourKey.GetProperty("y").GetString()) },
        });
        var accessTokenPayload = AccessTokenPayload(partner, now);
        var header = $$"""{"alg":"HS256","typ":"at+jwt","kid":"{{ourKey.GetProperty("kid").GetString()}}"}""";
        string[] accessTokens =
        [
            Jwt.Hs256(header, accessTokenPayload, Encoding.UTF8.GetBytes(ourEcdsa.ExportSubjectPublicKeyInfoPem())),
            Jwt.Hs256(header, accessTokenPayload, Encoding.UTF8.GetBytes(ourKey.GetRawText())),
        ];

        var tokenResponse = await server.RequestTokenAsync(assertion);
        tokenResponse.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await Partner.ErrorOf(tokenResponse)).ShouldBe("invalid_client");
        foreach (var accessToken in accessTokens)
            (await server.WhoAmIAsync(accessToken)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task A_wrong_or_array_audience_is_refused_on_assertions_and_access_tokens()
    {
        var partner = await server.GivenPartnerAsync(PartnerScopes.Read);
        string[] assertions =
        [
            partner.Assertion(token => token.Audience = "https://elsewhere.test/connect/token"),
            partner.Assertion(token =>
            {
                token.Audience = null;
                token.Claims["aud"] = new[] { TokenServer.IssuerIdentifier, "https://elsewhere.test" };
            }),
        ];
        string[] accessTokens =
        [
            await server.SignedByUsAsync(partner, token => token.Audience = "some-other-api"),
            await server.SignedByUsAsync(partner, token =>
            {
                token.Audience = null;
                token.Claims["aud"] = new[] { TokenServer.Audience, "some-other-api" };
            }),
            await server.SignedByUsAsync(partner, token =>
            {
                token.Audience = null;
                token.Claims["aud"] = new[] { TokenServer.Audience };
            }),
        ];

        foreach (var assertion in assertions)
            await Partner.ShouldBeRefusedAsync(await server.RequestTokenAsync(assertion));
        foreach (var accessToken in accessTokens)
            (await server.WhoAmIAsync(accessToken)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await server.WhoAmIAsync(await server.SignedByUsAsync(partner, _ => { }))).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task A_replayed_assertion_jti_is_refused()
    {
        var partner = await server.GivenPartnerAsync(PartnerScopes.Read);
        var jti = Guid.NewGuid().ToString();
        var assertion = partner.Assertion(token => token.Claims["jti"] = jti);

        var first = await server.RequestTokenAsync(assertion);
        var replayed = await server.RequestTokenAsync(assertion);
        var sameJtiFreshlySigned = await server.RequestTokenAsync(partner.Assertion(token => token.Claims["jti"] = jti));
        var withoutJti = await server.RequestTokenAsync(partner.Assertion(token => token.Claims.Remove("jti")));

        first.StatusCode.ShouldBe(HttpStatusCode.OK);
        replayed.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await Partner.ErrorOf(replayed)).ShouldBe("invalid_client");
        (await Partner.ErrorOf(sameJtiFreshlySigned)).ShouldBe("invalid_client");
        (await Partner.ErrorOf(withoutJti)).ShouldBe("invalid_client");
    }

    [Fact]
    public async Task Assertions_without_exp_or_with_a_far_exp_are_refused()
    {
        var partner = await server.GivenPartnerAsync(PartnerScopes.Read);
        var now = server.Clock.GetUtcNow().UtcDateTime;

        var missing = await server.RequestTokenAsync(partner.Assertion(token => token.Expires = null));
        var far = await server.RequestTokenAsync(partner.Assertion(token => token.Expires = now.AddMinutes(30)));
        var expired = await server.RequestTokenAsync(partner.Assertion(token =>
        {
            token.IssuedAt = now.AddMinutes(-10);
            token.Expires = now.AddMinutes(-5);
        }));
        var justRight = await server.RequestTokenAsync(partner.Assertion(token => token.Expires = now.AddMinutes(5)));

        await Partner.ShouldBeRefusedAsync(missing);
        (await Partner.DescriptionOf(missing)).ShouldContain("exp");
        (await Partner.ErrorOf(far)).ShouldBe("invalid_client");
        (await Partner.DescriptionOf(far)).ShouldContain("must expire within 5 minutes");
        await Partner.ShouldBeRefusedAsync(expired);
        justRight.StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task An_assertion_whose_sub_is_not_its_iss_is_refused()
    {
        var partner = await server.GivenPartnerAsync(PartnerScopes.Read);
        var other = await server.GivenPartnerAsync(PartnerScopes.Read);

        var response = await server.RequestTokenAsync(partner.Assertion(token => token.Claims["sub"] = other.ClientId));

        await Partner.ShouldBeRefusedAsync(response);
        (await Partner.DescriptionOf(response)).ShouldContain("sub");
    }

    [Fact]
    public async Task A_client_assertion_or_a_plain_jwt_signed_by_our_key_is_refused_by_the_api()
    {
        var partner = await server.GivenPartnerAsync(PartnerScopes.Read);
        var assertionAsAccessToken = partner.Assertion(token => token.Audience = TokenServer.Audience);
        var plainJwt = await server.SignedByUsAsync(partner, token => token.TokenType = "JWT");
        var untyped = await server.SignedByUsAsync(partner, token => token.TokenType = null);

        (await server.WhoAmIAsync(assertionAsAccessToken)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await server.WhoAmIAsync(plainJwt)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        new JsonWebToken(untyped).Typ.ShouldNotBe("at+jwt");
        (await server.WhoAmIAsync(untyped)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task An_unknown_kid_is_refused_on_assertions_and_access_tokens()
    {
        var partner = await server.GivenPartnerAsync(PartnerScopes.Read);
        var ours = (ECDsaSecurityKey)(await server.OurSigningCredentialsAsync()).Key;
        var renamed = new ECDsaSecurityKey(ours.ECDsa) { KeyId = "not-one-of-ours" };
        var stranger = new ECDsaSecurityKey(ECDsa.Create(ECCurve.NamedCurves.nistP256)) { KeyId = "stranger" };

        // OpenIddict checks the signature against every key the partner registered, whatever the kid says; a key it did not register fails.
        var assertionWithUnknownKid = partner.Assertion(token =>
            token.SigningCredentials = new SigningCredentials(new ECDsaSecurityKey(ECDsa.Create(ECCurve.NamedCurves.nistP256)) { KeyId = "unregistered" }, "ES256"));
        var ourKeyUnderAnotherKid = await server.SignedByUsAsync(partner, token => token.SigningCredentials = new SigningCredentials(renamed, "ES256"));
        var strangersKey = await server.SignedByUsAsync(partner, token => token.SigningCredentials = new SigningCredentials(stranger, "ES256"));

        await Partner.ShouldBeRefusedAsync(await server.RequestTokenAsync(assertionWithUnknownKid));
        (await server.WhoAmIAsync(ourKeyUnderAnotherKid)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await server.WhoAmIAsync(strangersKey)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task A_scope_the_client_lacks_is_invalid_scope_and_an_endpoint_needing_a_scope_the_token_lacks_is_403()
    {
        var partner = await server.GivenPartnerAsync(PartnerScopes.InvolvementsWrite);

        var lacking = await server.RequestTokenAsync(partner.Assertion(), $"{PartnerScopes.InvolvementsWrite} {PartnerScopes.Read}");
        var unknown = await server.RequestTokenAsync(partner.Assertion(), "admin");
        var token = await server.AccessTokenFor(partner, PartnerScopes.InvolvementsWrite);

        lacking.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await Partner.ErrorOf(lacking)).ShouldBe("invalid_scope");
        (await Partner.ErrorOf(unknown)).ShouldBe("invalid_scope");
        (await server.WhoAmIAsync(token)).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await server.Http.GetAsync(TokenServer.WhoAmI)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task A_disabled_client_gets_no_token_and_its_existing_token_stops_working()
    {
        var partner = await server.GivenPartnerAsync(PartnerScopes.Read);
        var secret = await server.Directory.IssueSecretAsync(partner.Client.ClientId, CancellationToken.None);
        var token = await server.AccessTokenFor(partner);
        (await server.WhoAmIAsync(token)).StatusCode.ShouldBe(HttpStatusCode.OK);

        await server.Directory.DisableAsync(partner.Client.ClientId, CancellationToken.None);

        (await server.WhoAmIAsync(token)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await Partner.ErrorOf(await server.RequestTokenAsync(partner.Assertion()))).ShouldBe("invalid_client");
        (await Partner.ErrorOf(await server.RequestTokenWithSecretAsync(partner.ClientId, secret))).ShouldBe("invalid_client");
    }

    [Fact]
    public async Task Token_responses_success_or_error_are_never_cached()
    {
        var partner = await server.GivenPartnerAsync(PartnerScopes.Read);

        var granted = await server.RequestTokenAsync(partner.Assertion());
        var refused = await server.RequestTokenAsync("not-a-jwt");

        foreach (var response in new[] { granted, refused })
        {
            response.Headers.CacheControl.ShouldNotBeNull().NoStore.ShouldBeTrue();
            response.Headers.Pragma.ToString().ShouldBe("no-cache");
            response.Content.Headers.ContentType!.MediaType.ShouldBe("application/json");
        }
        granted.StatusCode.ShouldBe(HttpStatusCode.OK);
        refused.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Malformed_requests_get_the_rfc_6749_errors()
    {
        var partner = await server.GivenPartnerAsync(PartnerScopes.Read);

        async Task<string> Error(params (string Name, string Value)[] fields) =>
            await Partner.ErrorOf(await server.Http.PostAsync(TokenPaths.Token,
                new FormUrlEncodedContent(fields.Select(field => new KeyValuePair<string, string>(field.Name, field.Value)))));

        (await Error(("grant_type", "password"), ("username", "x"))).ShouldBe("unsupported_grant_type");
        (await Error(("scope", PartnerScopes.Read))).ShouldBe("invalid_request");
        (await Error(("grant_type", "client_credentials"), ("grant_type", "client_credentials"))).ShouldBe("invalid_request");
        (await Error(("grant_type", "client_credentials"))).ShouldBe("invalid_request", "OpenIddict: client_id is missing");
        (await Error(("grant_type", "client_credentials"), ("client_id", partner.ClientId), ("client_secret", "guess"))).ShouldBe("invalid_client");
        (await Error(("grant_type", "client_credentials"), ("client_assertion_type", "urn:other"), ("client_assertion", partner.Assertion()))).ShouldBe("invalid_client");
        (await Partner.ErrorOf(await server.Http.PostAsync(TokenPaths.Token, JsonContent.Create(new { grant_type = "client_credentials" })))).ShouldBe("invalid_request");
    }

    [Fact]
    public async Task Metadata_and_jwks_publish_the_endpoint_and_public_keys_only()
    {
        var metadata = await server.Http.GetFromJsonAsync<JsonElement>(TokenPaths.Metadata);
        var jwks = await server.JwksAsync();

        metadata.GetProperty("issuer").GetString().ShouldBe(TokenServer.IssuerIdentifier);
        metadata.GetProperty("token_endpoint").GetString().ShouldBe(TokenServer.Issuer + "/connect/token");
        metadata.GetProperty("jwks_uri").GetString().ShouldBe(TokenServer.Issuer + "/.well-known/jwks.json");
        metadata.GetProperty("introspection_endpoint").GetString().ShouldBe(TokenServer.Issuer + "/connect/introspect");
        metadata.GetProperty("revocation_endpoint").GetString().ShouldBe(TokenServer.Issuer + "/connect/revoke");
        (await server.Http.GetFromJsonAsync<JsonElement>(TokenPaths.OpenIdConfiguration)).GetProperty("token_endpoint").GetString()
            .ShouldBe(TokenServer.Issuer + "/connect/token");
        Strings(metadata, "grant_types_supported").ShouldBe(["client_credentials"]);
        Strings(metadata, "token_endpoint_auth_methods_supported").ShouldBe(["private_key_jwt", "client_secret_basic"], ignoreOrder: true);
        Strings(metadata, "token_endpoint_auth_signing_alg_values_supported").ShouldBe(["RS256", "ES256", "PS256"], ignoreOrder: true);
        Strings(metadata, "scopes_supported").ShouldContain(PartnerScopes.Read);
        foreach (var key in jwks.GetProperty("keys").EnumerateArray())
        {
            key.EnumerateObject().Select(member => member.Name).ShouldBe(["kty", "kid", "use", "alg", "crv", "x", "y"], ignoreOrder: true);
        }
    }

    private static string[] Strings(JsonElement json, string name) =>
        json.GetProperty(name).EnumerateArray().Select(item => item.GetString()!).ToArray();

    private static string AccessTokenPayload(Partner partner, long now) =>
        $$"""{"iss":"{{TokenServer.IssuerIdentifier}}","sub":"{{partner.ClientId}}","aud":"{{TokenServer.Audience}}","client_id":"{{partner.ClientId}}","org":"{{partner.Client.Organisation.Value}}","scope":"partner.read","iat":{{now}},"nbf":{{now}},"exp":{{now + 300}},"jti":"{{Guid.NewGuid()}}"}""";
}
