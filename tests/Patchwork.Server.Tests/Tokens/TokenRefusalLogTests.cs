using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Patchwork.Server.Tests.PartnerBus;
using Patchwork.Server.Tokens;

namespace Patchwork.Server.Tests.Tokens;

/// <summary>
/// The token host with every log line captured, its configuration asking for every level: what production writes at
/// Information is a subset, and OpenIddict's Trace (which writes tokens whole) must be held at Debug by the host itself.
/// </summary>
public sealed class LoggedTokenServer : TokenServer, IAsyncLifetime
{
    public LogCapture Logs { get; } = new();

    protected override IReadOnlyDictionary<string, string> TokenSettings => new Dictionary<string, string>
    {
        ["Logging:LogLevel:Default"] = "Trace",
        ["Logging:LogLevel:Microsoft.AspNetCore"] = "Trace",
        ["Logging:LogLevel:OpenIddict"] = "Trace",
    };

    async Task IAsyncLifetime.InitializeAsync()
    {
        await InitializeAsync();
        Services.GetRequiredService<ILoggerFactory>().AddProvider(Logs);
    }

    Task IAsyncLifetime.DisposeAsync() => DisposeAsync();
}

/// <summary>
/// OpenIddict logs every token request it extracts and every client it fails to authenticate ("Client authentication
/// failed for {ClientId}"); our handlers refuse more. Whatever the path — granted, refused by OpenIddict, refused by us —
/// neither a secret (right or wrong), nor an assertion, nor an access token reaches a log line (issue 22).
/// </summary>
public sealed class TokenRefusalLogTests(LoggedTokenServer server) : IClassFixture<LoggedTokenServer>
{
    [Fact]
    public async Task No_secret_assertion_or_token_is_logged_on_any_path_through_the_token_endpoints()
    {
        var partner = await server.GivenPartnerAsync(PartnerScopes.Read);
        var secret = await server.Directory.IssueSecretAsync(partner.Client.ClientId, CancellationToken.None);
        var wrongSecret = secret[..^4] + "Wxyz";
        var never = new List<string> { secret, wrongSecret };

        // client_secret_basic: a wrong secret (OpenIddict's "Client authentication failed"), then the right one.
        (await server.RequestTokenWithSecretAsync(partner.ClientId, wrongSecret)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        var granted = await server.RequestTokenWithSecretAsync(partner.ClientId, secret);
        granted.StatusCode.ShouldBe(HttpStatusCode.OK, await granted.Content.ReadAsStringAsync());
        never.Add(System.Text.Json.JsonDocument.Parse(await granted.Content.ReadAsStringAsync()).RootElement.GetProperty("access_token").GetString()!);

        // A secret in the body: refused by our handler.
        var posted = await server.Http.PostAsync(TokenPaths.Token, new FormUrlEncodedContent(
            [new("grant_type", "client_credentials"), new("client_id", partner.ClientId), new("client_secret", secret)]));
        ((int)posted.StatusCode).ShouldBeOneOf([400, 401]);

        // private_key_jwt: granted; the same assertion again (refused by our jti handler); one signed by a key the partner
        // never registered and one addressed to the token endpoint (both refused by OpenIddict).
        var assertion = partner.Assertion();
        var token = await server.RequestTokenAsync(assertion);
        token.StatusCode.ShouldBe(HttpStatusCode.OK, await token.Content.ReadAsStringAsync());
        var accessToken = System.Text.Json.JsonDocument.Parse(await token.Content.ReadAsStringAsync()).RootElement.GetProperty("access_token").GetString()!;
        await Partner.ShouldBeRefusedAsync(await server.RequestTokenAsync(assertion));
        var stranger = new ECDsaSecurityKey(System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256))
        {
            KeyId = partner.Key.KeyId,
        };
        var forged = partner.Assertion(descriptor => descriptor.SigningCredentials = new SigningCredentials(stranger, SecurityAlgorithms.EcdsaSha256));
        await Partner.ShouldBeRefusedAsync(await server.RequestTokenAsync(forged));
        var misaddressed = partner.Assertion(descriptor => descriptor.Audience = TokenServer.Issuer + TokenPaths.Token);
        await Partner.ShouldBeRefusedAsync(await server.RequestTokenAsync(misaddressed));

        // Revocation takes the access token itself as a parameter.
        var revoked = await server.Http.PostAsync(TokenPaths.Revocation, new FormUrlEncodedContent(
        [
            new("token", accessToken),
            new("client_assertion_type", ClientAssertions.AssertionType),
            new("client_assertion", partner.Assertion()),
        ]));
        revoked.StatusCode.ShouldBe(HttpStatusCode.OK, await revoked.Content.ReadAsStringAsync());

        never.AddRange([assertion, forged, misaddressed, accessToken]);
        // A signature is what makes an assertion or a token usable: no part of one may appear either.
        never.AddRange(new[] { assertion, forged, misaddressed, accessToken }.Select(jwt => new JsonWebToken(jwt).EncodedSignature));

        var logged = server.Logs.All;
        // The capture sees OpenIddict's refusals and extracted requests, so an empty log cannot pass for a clean one.
        logged.ShouldContain($"Client authentication failed for {partner.ClientId}");
        logged.ShouldContain("The token request was successfully extracted");
        server.Logs.Lines.ShouldContain(line => line.StartsWith("Debug OpenIddict.", StringComparison.Ordinal), "OpenIddict logs at Debug still");
        server.Logs.Lines.ShouldNotContain(line => line.StartsWith("Trace OpenIddict.", StringComparison.Ordinal), "OpenIddict's Trace writes tokens whole");
        foreach (var value in never)
        {
            server.Logs.Lines.Where(line => line.Contains(value, StringComparison.Ordinal)).ShouldBeEmpty("a secret, assertion or token was logged");
        }
    }
}
