using System.Net;
using Patchwork.Server.Tokens;

namespace Patchwork.Server.Tests.Tokens;

/// <summary>A host whose token endpoint allows three requests a minute per client and address.</summary>
public sealed class RateLimitedTokenServer : TokenServer
{
    protected override IReadOnlyDictionary<string, string> TokenSettings => new Dictionary<string, string>
    {
        ["Tokens:TokenRequestsPerWindow"] = "3",
        ["Tokens:TokenRequestWindow"] = "00:01:00",
    };
}

public sealed class TokenRateLimitTests(RateLimitedTokenServer server) : IClassFixture<RateLimitedTokenServer>
{
    [Fact]
    public async Task The_fourth_token_request_in_a_window_gets_429_with_retry_after_and_another_client_is_unaffected()
    {
        var noisy = await server.GivenPartnerAsync(PartnerScopes.Read);
        var quiet = await server.GivenPartnerAsync(PartnerScopes.Read);

        var allowed = new List<HttpStatusCode>();
        for (var i = 0; i < 3; i++) allowed.Add((await server.RequestTokenAsync(noisy.Assertion())).StatusCode);
        var limited = await server.RequestTokenAsync(noisy.Assertion());
        var other = await server.RequestTokenAsync(quiet.Assertion());

        allowed.ShouldAllBe(status => status == HttpStatusCode.OK);
        limited.StatusCode.ShouldBe(HttpStatusCode.TooManyRequests);
        limited.Headers.RetryAfter.ShouldNotBeNull().Delta.ShouldNotBeNull().ShouldBeInRange(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(60));
        limited.Headers.CacheControl.ShouldNotBeNull().NoStore.ShouldBeTrue();
        other.StatusCode.ShouldBe(HttpStatusCode.OK);
    }
}
