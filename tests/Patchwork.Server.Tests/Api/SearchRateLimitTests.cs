using System.Net;
using Patchwork.Server.Demo;

namespace Patchwork.Server.Tests.Api;

/// <summary>The API host with the search limit as tight as a test can use: three searches a minute per caller.</summary>
public sealed class TightSearchLimitServer : ApiServer
{
    public const int PerMinute = 3;

    public TightSearchLimitServer() => Settings["Api:SearchesPerMinute"] = PerMinute.ToString(System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>Every other fixture lifts the search limit out of the way (100,000); this one proves the limit itself.</summary>
public sealed class SearchRateLimitTests(TightSearchLimitServer server) : IClassFixture<TightSearchLimitServer>
{
    private const string Search = "/api/v1/clients?familyName=Marsh-Whitfield&dateOfBirth=2011-04-17&purpose=checking";

    [Fact]
    public async Task A_caller_past_the_search_limit_gets_429_with_Retry_After_and_another_caller_is_not_held_up()
    {
        var officer = server.As(DemoPartnership.PoliceOfficer);
        for (var i = 0; i < TightSearchLimitServer.PerMinute; i++)
        {
            var allowed = await officer.GetAsync(Search);
            allowed.StatusCode.ShouldBe(HttpStatusCode.OK, $"search {i + 1} of {TightSearchLimitServer.PerMinute}: {await allowed.Content.ReadAsStringAsync()}");
        }

        var limited = await officer.GetAsync(Search);
        limited.StatusCode.ShouldBe(HttpStatusCode.TooManyRequests, "one search past the limit within the minute");
        limited.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json");
        limited.Headers.RetryAfter.ShouldNotBeNull().Delta.ShouldNotBeNull().ShouldBeInRange(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(60));

        // The limit is per caller: the teacher's first search is answered.
        (await server.As(DemoPartnership.Teacher).GetAsync(Search)).StatusCode.ShouldBe(HttpStatusCode.OK);
    }
}
