using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Patchwork.Server.Demo;
using Patchwork.Server.Tests.Feed;

namespace Patchwork.Server.Tests.Threads;

/// <summary>Live delivery of thread messages across two server processes, through the feed's fan-out.</summary>
[Collection(TwoNodesCollection.Name)]
public sealed class TwoNodeThreadTests(TwoNodes nodes)
{
    [Fact]
    public async Task A_participant_on_node_B_hears_of_a_message_posted_through_node_A_by_ids_only_and_reads_it_there()
    {
        // On Ellie, the police officer (consent to the police sector) and the designated safeguarding lead (consent to the
        // school) see each other; the officer writes through node A, the teacher listens on node B.
        var teacher = await nodes.AsAsync(DemoPartnership.Teacher, nodes.B);
        await using var feed = await teacher.FeedAsync();
        var officer = await nodes.AsAsync(DemoPartnership.PoliceOfficer, nodes.A);
        var client = $"/api/v1/clients/{DemoPartnership.Ellie.Value}";

        using var started = await officer.Browser.PostJsonAsync($"{client}/threads",
            new { participants = new[] { DemoPartnership.Teacher.Id.Value }, message = "Ellie was seen late at night near the station." });
        var ids = await started.Content.ReadFromJsonAsync<JsonElement>();
        started.StatusCode.ShouldBe(HttpStatusCode.Created, ids.ToString());
        var thread = ids.GetProperty("threadId").GetGuid();

        var notice = await NextAboutAsync(feed, thread, "thread-message");
        notice.GetProperty("clientId").GetGuid().ShouldBe(DemoPartnership.Ellie.Value);
        notice.EnumerateObject().Select(p => p.Name).Order().ShouldBe(["at", "clientId", "id", "kind", "position", "subjectId"]);
        notice.ToString().ShouldNotContain("station");

        var read = await teacher.Http.GetFromJsonAsync<JsonElement>($"{client}/threads/{thread}");
        read.GetProperty("messages")[0].GetProperty("body").GetString().ShouldBe("Ellie was seen late at night near the station.");

        (await officer.Browser.PostJsonAsync($"{client}/threads/{thread}/messages/{ids.GetProperty("messageId").GetGuid()}/withdraw", null))
            .StatusCode.ShouldBe(HttpStatusCode.OK);
        await NextAboutAsync(feed, thread, "thread-message-withdrawn");
    }

    /// <summary>Other tests on the demo's Ellie may put other notices on the socket first; the one about this thread must come.</summary>
    private static async Task<JsonElement> NextAboutAsync(FeedSocket feed, Guid thread, string kind)
    {
        var until = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var notice = await feed.NextNoticeAsync(until - DateTime.UtcNow);
            if (notice.GetProperty("kind").GetString() == kind && notice.GetProperty("subjectId").GetGuid() == thread) return notice;
        }
    }
}
