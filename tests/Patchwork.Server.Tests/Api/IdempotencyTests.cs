using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Patchwork.Server.Api;
using Patchwork.Server.Demo;
using Patchwork.Server.Tests.Threads;
using Patchwork.Testing;

namespace Patchwork.Server.Tests.Api;

/// <summary>The API host with a movable clock and a one-hour key lifetime, so a test can outlive an Idempotency-Key without waiting.</summary>
public sealed class IdempotencyServer : ApiServer
{
    public IdempotencyServer() => Settings["Api:Idempotency:Lifetime"] = "01:00:00";

    public MovableClock Clock { get; } = new();

    protected override void ConfigureServices(IServiceCollection services) => services.AddSingleton<TimeProvider>(Clock);
}

/// <summary>Issue 19: a stored response is replayed with its Cache-Control, and only for the key's lifetime; expired keys are pruned.</summary>
public sealed class IdempotencyTests(IdempotencyServer server) : IClassFixture<IdempotencyServer>
{
    [Fact]
    public async Task A_replay_is_private_no_store_like_the_original()
    {
        var worker = server.As(DemoPartnership.SocialWorker);
        var key = "cache-" + Guid.NewGuid();
        var first = await worker.SendAsync(Register(key, "Hawthorn"));
        var replay = await worker.SendAsync(Register(key, "Hawthorn"));

        first.StatusCode.ShouldBe(HttpStatusCode.Created);
        replay.StatusCode.ShouldBe(HttpStatusCode.Created);
        replay.Headers.GetValues("Idempotent-Replayed").ShouldBe(["true"]);
        replay.Headers.CacheControl.ShouldNotBeNull().NoStore.ShouldBeTrue("the replayed body holds client data as the original did");
        replay.Headers.CacheControl!.Private.ShouldBeTrue();
        (await replay.Content.ReadAsStringAsync()).ShouldBe(await first.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_key_older_than_its_lifetime_is_a_new_request_and_expired_keys_are_pruned()
    {
        var worker = server.As(DemoPartnership.SocialWorker);
        var key = "expiry-" + Guid.NewGuid();
        var first = await worker.SendAsync(Register(key, "Blackthorn"));
        first.StatusCode.ShouldBe(HttpStatusCode.Created);
        (await RowsAsync(key)).ShouldBe(1);

        server.Clock.Offset += TimeSpan.FromMinutes(59);
        var withinLifetime = await worker.SendAsync(Register(key, "Blackthorn"));
        withinLifetime.Headers.Contains("Idempotent-Replayed").ShouldBeTrue("59 minutes on, the key still replays");

        server.Clock.Offset += TimeSpan.FromMinutes(2);
        var afterLifetime = await worker.SendAsync(Register(key, "Blackthorn-Other"));
        afterLifetime.StatusCode.ShouldBe(HttpStatusCode.Created, "an expired key is free again: another body is a new request, not a 422");
        afterLifetime.Headers.Contains("Idempotent-Replayed").ShouldBeFalse();
        (await afterLifetime.Content.ReadAsStringAsync()).ShouldNotBe(await first.Content.ReadAsStringAsync());

        var stale = "stale-" + Guid.NewGuid();
        (await worker.SendAsync(Register(stale, "Whitethorn"))).StatusCode.ShouldBe(HttpStatusCode.Created);
        server.Clock.Offset += TimeSpan.FromMinutes(61);
        var pruned = await server.Services.GetRequiredService<IdempotencyKeys>().PruneAsync(CancellationToken.None);
        pruned.ShouldBeGreaterThanOrEqualTo(2);
        (await RowsAsync(stale)).ShouldBe(0, "the expired key and its stored response are gone");
        (await RowsAsync(key)).ShouldBe(0);
    }

    private static HttpRequestMessage Register(string key, string familyName)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/clients")
        {
            Content = JsonContent.Create(new { givenNames = "Rowan", familyName, dateOfBirth = "2013-03-04", candidatesSeen = true }),
        };
        request.Headers.Add(IdempotentPosts.Header, key);
        return request;
    }

    private async Task<long> RowsAsync(string key)
    {
        await using var connection = new NpgsqlConnection(LocalServers.PostgresOwner);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"SELECT count(*) FROM \"{server.Schema}\".idempotency_keys WHERE key = @key", connection);
        command.Parameters.AddWithValue("key", key);
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
