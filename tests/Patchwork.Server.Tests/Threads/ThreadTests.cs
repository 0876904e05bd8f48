using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Patchwork.Core;
using Patchwork.Server.Demo;
using Patchwork.Server.Threads;
using Patchwork.Testing;

namespace Patchwork.Server.Tests.Threads;

/// <summary>Threads through the API against real PostgreSQL and RabbitMQ: losing visibility, sealed bodies, withdrawal, receipts, attention.</summary>
public sealed class ThreadTests(ThreadsServer server) : IClassFixture<ThreadsServer>
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_participant_whose_consent_is_withdrawn_can_no_longer_read_the_thread_nor_is_told_of_new_messages()
    {
        var world = await ThreadWorld.CreateAsync(server);
        var officer = server.As(DemoPartnership.PoliceOfficer);
        (await officer.GetAsync(world.ThreadPath)).StatusCode.ShouldBe(HttpStatusCode.OK);
        await Eventually.Within(Deadline, async () => (await NoticesAsync(DemoPartnership.PoliceOfficer, world.Thread)).Count == 1, "the officer's notice of the first message");

        (await server.As(DemoPartnership.SocialWorker).PostAsync($"{world.Path}/consents/{world.Consents["police"]}/withdraw", null))
            .StatusCode.ShouldBe(HttpStatusCode.OK);

        (await officer.GetAsync(world.ThreadPath)).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await officer.PostAsJsonAsync($"{world.ThreadPath}/messages", new { body = "still here?" })).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await officer.GetFromJsonAsync<JsonElement>($"{world.Path}/threads")).GetProperty("threads").GetArrayLength().ShouldBe(0);

        var posted = await ThreadWorld.IdAsync(await server.As(DemoPartnership.SocialWorker).PostAsJsonAsync($"{world.ThreadPath}/messages",
            new { body = "Police no longer have consent; teacher, can we meet?" }), "messageId");
        // The teacher, still admitted, is told of the message: once the relay has decided on this event, it has decided for the officer too.
        await Eventually.Within(Deadline, async () => (await NoticesAsync(DemoPartnership.Teacher, world.Thread)).Count >= 2, "the teacher's notice of the reply");
        (await NoticesAsync(DemoPartnership.PoliceOfficer, world.Thread)).Count.ShouldBe(1, "the officer was told of the first message only, before the withdrawal");
        posted.ShouldNotBe(Guid.Empty);
    }

    [Fact]
    public async Task A_participant_whose_involvement_ends_loses_the_thread_at_once()
    {
        var world = await ThreadWorld.CreateAsync(server);
        var teacher = server.As(DemoPartnership.Teacher);
        (await teacher.GetAsync(world.ThreadPath)).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await teacher.PostAsJsonAsync($"{world.Path}/involvements/{world.Involvements["Teacher"]}/end", new { })).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await teacher.GetAsync(world.ThreadPath)).StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task A_message_body_never_appears_in_plaintext_in_the_database_and_erasing_the_clients_key_makes_it_unreadable()
    {
        var canary = "canary-" + Guid.NewGuid().ToString("N");
        var world = await ThreadWorld.CreateAsync(server, firstMessage: $"first {canary}");
        (await server.As(DemoPartnership.PoliceOfficer).PostAsJsonAsync($"{world.ThreadPath}/messages", new { body = $"reply {canary}" }))
            .StatusCode.ShouldBe(HttpStatusCode.Created);
        var thread = await server.As(DemoPartnership.SocialWorker).GetFromJsonAsync<JsonElement>(world.ThreadPath);
        thread.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("body").GetString()).ShouldBe([$"first {canary}", $"reply {canary}"]);

        var rows = await DatabaseScan.EveryRowAsTextAsync(LocalServers.PostgresOwner, server.Schema);
        rows.Count.ShouldBeGreaterThan(0);
        rows.Where(r => r.Contains(canary, StringComparison.Ordinal)).ShouldBeEmpty();

        await server.Services.GetRequiredService<ThreadStore>().EraseClientKeyAsync(new ClientId(world.Client), CancellationToken.None);
        var erased = await server.As(DemoPartnership.SocialWorker).GetFromJsonAsync<JsonElement>(world.ThreadPath);
        erased.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("body").ValueKind).ShouldBe([JsonValueKind.Null, JsonValueKind.Null]);
    }

    [Fact]
    public async Task A_body_over_4000_characters_or_empty_is_refused_naming_the_field()
    {
        var world = await ThreadWorld.CreateAsync(server);
        var socialWorker = server.As(DemoPartnership.SocialWorker);
        foreach (var body in new[] { new string('a', 4001), "  " })
        {
            using var response = await socialWorker.PostAsJsonAsync($"{world.ThreadPath}/messages", new { body });
            response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
            (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").TryGetProperty("body", out _).ShouldBeTrue();
        }
        (await socialWorker.PostAsJsonAsync($"{world.ThreadPath}/messages", new { body = new string('a', 4000) })).StatusCode.ShouldBe(HttpStatusCode.Created);
    }

    [Fact]
    public async Task The_author_can_withdraw_within_10_minutes_leaving_a_marker_and_not_after()
    {
        var world = await ThreadWorld.CreateAsync(server);
        var socialWorker = server.As(DemoPartnership.SocialWorker);
        var early = await ThreadWorld.IdAsync(await socialWorker.PostAsJsonAsync($"{world.ThreadPath}/messages", new { body = "wrong thread, sorry" }), "messageId");
        var late = await ThreadWorld.IdAsync(await socialWorker.PostAsJsonAsync($"{world.ThreadPath}/messages", new { body = "meeting on Friday" }), "messageId");
        try
        {
            server.Clock.Offset = TimeSpan.FromMinutes(9);
            (await socialWorker.PostAsync($"{world.ThreadPath}/messages/{early}/withdraw", null)).StatusCode.ShouldBe(HttpStatusCode.OK);
            server.Clock.Offset = TimeSpan.FromMinutes(10) + TimeSpan.FromSeconds(5);
            using var refused = await socialWorker.PostAsync($"{world.ThreadPath}/messages/{late}/withdraw", null);
            refused.StatusCode.ShouldBe(HttpStatusCode.Conflict, await refused.Content.ReadAsStringAsync());
        }
        finally
        {
            server.Clock.Offset = TimeSpan.Zero;
        }

        var messages = (await server.As(DemoPartnership.PoliceOfficer).GetFromJsonAsync<JsonElement>(world.ThreadPath)).GetProperty("messages")
            .EnumerateArray().ToDictionary(m => m.GetProperty("messageId").GetGuid());
        messages[early].GetProperty("withdrawn").GetBoolean().ShouldBeTrue();
        messages[early].GetProperty("body").ValueKind.ShouldBe(JsonValueKind.Null);
        messages[late].GetProperty("withdrawn").GetBoolean().ShouldBeFalse();
        messages[late].GetProperty("body").GetString().ShouldBe("meeting on Friday");
        // Only the author: the officer, a participant, may not withdraw the social worker's message.
        (await server.As(DemoPartnership.PoliceOfficer).PostAsync($"{world.ThreadPath}/messages/{late}/withdraw", null)).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task Read_receipts_are_per_participant_and_attention_raised_appears_in_the_thread()
    {
        var world = await ThreadWorld.CreateAsync(server);
        var officer = server.As(DemoPartnership.PoliceOfficer);
        (await officer.GetFromJsonAsync<JsonElement>($"{world.Path}/threads")).GetProperty("threads")[0].GetProperty("unread").GetInt32().ShouldBe(1);
        (await officer.PostAsync($"{world.ThreadPath}/read", null)).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await officer.GetFromJsonAsync<JsonElement>($"{world.Path}/threads")).GetProperty("threads")[0].GetProperty("unread").GetInt32().ShouldBe(0);
        (await server.As(DemoPartnership.Teacher).PostAsync($"{world.Path}/attention", null)).StatusCode.ShouldBe(HttpStatusCode.Created);

        var thread = await server.As(DemoPartnership.SocialWorker).GetFromJsonAsync<JsonElement>(world.ThreadPath);
        var readBy = thread.GetProperty("messages")[0].GetProperty("readBy").EnumerateArray().Select(r => r.GetProperty("practitionerId").GetGuid()).ToList();
        readBy.ShouldBe([DemoPartnership.PoliceOfficer.Id.Value]);
        thread.GetProperty("attention").EnumerateArray().Select(a => a.GetProperty("raisedBy").GetGuid()).ShouldBe([DemoPartnership.Teacher.Id.Value]);
    }

    [Fact]
    public async Task A_repeated_start_with_the_same_idempotency_key_makes_one_thread()
    {
        var world = await ThreadWorld.CreateAsync(server);
        var socialWorker = server.As(DemoPartnership.SocialWorker);
        var key = Guid.NewGuid().ToString();
        var ids = new List<Guid>();
        for (var attempt = 0; attempt < 2; attempt++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, $"{world.Path}/threads")
            {
                Content = JsonContent.Create(new { participants = new[] { DemoPartnership.Teacher.Id.Value }, message = "one thread only" }),
            };
            request.Headers.Add("Idempotency-Key", key);
            ids.Add(await ThreadWorld.IdAsync(await socialWorker.SendAsync(request), "threadId"));
        }
        ids.Distinct().Count().ShouldBe(1);
        (await socialWorker.GetFromJsonAsync<JsonElement>($"{world.Path}/threads")).GetProperty("threads").GetArrayLength().ShouldBe(2);
    }

    [Fact]
    public async Task Starting_a_thread_refuses_a_participant_who_cannot_see_the_starter_naming_the_field()
    {
        var world = await ThreadWorld.CreateAsync(server);
        using var response = await server.As(DemoPartnership.SocialWorker).PostAsJsonAsync($"{world.Path}/threads",
            new { participants = new[] { DemoPartnership.SexualHealthNurse.Id.Value }, message = "hello" });
        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").TryGetProperty("participants[0]", out _).ShouldBeTrue();
    }

    [Fact]
    public async Task The_thread_endpoints_are_in_the_OpenAPI_document()
    {
        var document = await server.Anonymous().GetFromJsonAsync<JsonElement>("/openapi/v1.json");
        document.GetProperty("paths").EnumerateObject().Select(p => p.Name).Where(p => p.Contains("/threads", StringComparison.Ordinal)).Order().ShouldBe(
        [
            "/api/v1/clients/{clientId}/threads",
            "/api/v1/clients/{clientId}/threads/{threadId}",
            "/api/v1/clients/{clientId}/threads/{threadId}/messages",
            "/api/v1/clients/{clientId}/threads/{threadId}/messages/{messageId}/withdraw",
            "/api/v1/clients/{clientId}/threads/{threadId}/read",
        ]);
    }

    private async Task<List<JsonElement>> NoticesAsync(DemoPartnership.Staff staff, Guid thread)
    {
        var page = await server.As(staff).GetFromJsonAsync<JsonElement>("/api/v1/notices?after=0&limit=200");
        return [.. page.GetProperty("notices").EnumerateArray().Where(n => n.GetProperty("kind").GetString()!.StartsWith("thread-", StringComparison.Ordinal)
            && n.GetProperty("subjectId").GetGuid() == thread)];
    }
}
