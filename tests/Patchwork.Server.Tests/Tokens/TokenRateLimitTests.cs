using System.Net;
using Patchwork.Server.Tokens;

namespace Patchwork.Server.Tests.Tokens;

/// <summary>A host whose token endpoint allows three requests a minute per remote address.</summary>
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
    public async Task The_fourth_token_request_in_a_window_gets_429_with_retry_after_and_another_address_is_unaffected()
    {
        var noisy = await server.GivenPartnerAsync(PartnerScopes.Read);
        var quiet = await server.GivenPartnerAsync(PartnerScopes.Read);
        using var noisyAddress = server.ClientFrom(IPAddress.Parse("192.0.2.10"));
        using var quietAddress = server.ClientFrom(IPAddress.Parse("192.0.2.11"));

        var allowed = new List<HttpStatusCode>();
        for (var i = 0; i < 3; i++) allowed.Add((await server.RequestTokenAsync(noisy.Assertion(), from: noisyAddress)).StatusCode);
        var limited = await server.RequestTokenAsync(noisy.Assertion(), from: noisyAddress);
        var other = await server.RequestTokenAsync(quiet.Assertion(), from: quietAddress);

        allowed.ShouldAllBe(status => status == HttpStatusCode.OK);
        limited.StatusCode.ShouldBe(HttpStatusCode.TooManyRequests);
        limited.Headers.RetryAfter.ShouldNotBeNull().Delta.ShouldNotBeNull().ShouldBeInRange(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(60));
        limited.Headers.CacheControl.ShouldNotBeNull().NoStore.ShouldBeTrue();
        other.StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Rotating_the_claimed_client_from_one_address_gets_no_fresh_allowance()
    {
        var partner = await server.GivenPartnerAsync(PartnerScopes.Read);
        var other = await server.GivenPartnerAsync(PartnerScopes.Read);
        using var address = server.ClientFrom(IPAddress.Parse("192.0.2.20"));

        // Each made-up client id used to open a partition of its own, with a full allowance, for anyone who asked.
        var madeUp = new List<HttpStatusCode>();
        for (var i = 0; i < 3; i++) madeUp.Add((await server.RequestTokenWithSecretAsync($"made-up-{Guid.NewGuid():N}", "not a secret", from: address)).StatusCode);
        var rotated = await server.RequestTokenWithSecretAsync($"made-up-{Guid.NewGuid():N}", "not a secret", from: address);
        var real = await server.RequestTokenAsync(partner.Assertion(), from: address);
        var another = await server.RequestTokenAsync(other.Assertion(), from: address);

        madeUp.ShouldAllBe(status => status == HttpStatusCode.Unauthorized || status == HttpStatusCode.BadRequest);
        rotated.StatusCode.ShouldBe(HttpStatusCode.TooManyRequests);
        rotated.Headers.RetryAfter.ShouldNotBeNull();
        real.StatusCode.ShouldBe(HttpStatusCode.TooManyRequests, "the allowance belongs to the address, whatever client it names");
        another.StatusCode.ShouldBe(HttpStatusCode.TooManyRequests);
    }
}
