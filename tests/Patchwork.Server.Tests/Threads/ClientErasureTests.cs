using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Npgsql;
using Patchwork.Server.Demo;
using Patchwork.Testing;

namespace Patchwork.Server.Tests.Threads;

/// <summary>
/// Erasure (DESIGN.md §6, issue 8): the client's identity and the key their message bodies are sealed under go together,
/// by a partnership admin once no involvement is active; the events and the audit trail stay.
/// </summary>
public sealed class ClientErasureTests(ThreadsServer server) : IClassFixture<ThreadsServer>
{
    [Fact]
    public async Task A_partnership_admin_erases_identity_and_message_bodies_together_once_every_involvement_has_ended_and_the_skeleton_survives()
    {
        var canary = "canary-" + Guid.NewGuid().ToString("N");
        var world = await ThreadWorld.CreateAsync(server, firstMessage: $"first {canary}");
        var admin = server.As(DemoPartnership.PartnershipAdmin);
        var erase = new { reason = "retention period after the last involvement has passed" };

        using (var early = await admin.PostAsJsonAsync($"{world.Path}/erasure", erase))
        {
            early.StatusCode.ShouldBe(HttpStatusCode.Conflict, await early.Content.ReadAsStringAsync());
            early.Content.Headers.ContentType?.MediaType.ShouldBe("application/problem+json");
        }
        (await CountAsync("client_identity", world.Client)).ShouldBe(1, "refused while involvements are active: nothing erased");
        (await CountAsync("client_message_keys", world.Client)).ShouldBe(1);
        using (var noReason = await admin.PostAsJsonAsync($"{world.Path}/erasure", new { reason = " " }))
            (await noReason.Content.ReadAsStringAsync()).ShouldContain("reason");
        using (var dpo = await server.As(DemoPartnership.SocialCareDpo).PostAsJsonAsync($"{world.Path}/erasure", erase))
            dpo.StatusCode.ShouldBe(HttpStatusCode.NotFound, "only a partnership admin erases");

        foreach (var (name, staff) in ThreadWorld.Team)
            using (var ended = await server.As(staff).PostAsJsonAsync($"{world.Path}/involvements/{world.Involvements[name]}/end", new { }))
                ended.StatusCode.ShouldBe(HttpStatusCode.OK, await ended.Content.ReadAsStringAsync());
        var events = await CountAsync("events", world.Client, "stream_id");

        using (var erased = await admin.PostAsJsonAsync($"{world.Path}/erasure", erase))
            erased.StatusCode.ShouldBe(HttpStatusCode.NoContent, await erased.Content.ReadAsStringAsync());

        (await CountAsync("client_identity", world.Client)).ShouldBe(0, "the identity is gone");
        (await CountAsync("client_message_keys", world.Client)).ShouldBe(0, "and with the key, every message body");
        (await CountAsync("events", world.Client, "stream_id")).ShouldBe(events, "the event skeleton stays");
        (await CountAsync("thread_messages", world.Thread, "thread_id")).ShouldBeGreaterThan(0, "message ids and times stay");

        // The export still answers, with the access log and the skeleton and no identity; the erasure is in the log.
        var export = await admin.GetFromJsonAsync<JsonElement>($"{world.Path}/export");
        export.GetProperty("identity").ValueKind.ShouldBe(JsonValueKind.Null);
        export.GetProperty("audit").EnumerateArray().ShouldContain(entry => entry.GetProperty("action").GetString() == "client.erase"
            && entry.GetProperty("outcome").GetString() == "allowed" && entry.GetProperty("purpose").GetString() == erase.reason);

        using var again = await admin.PostAsJsonAsync($"{world.Path}/erasure", erase);
        again.StatusCode.ShouldBe(HttpStatusCode.NoContent, "erasing again erases nothing more and is answered the same");
    }

    [Fact]
    public async Task Justifications_for_break_glass_and_sharing_without_consent_are_read_from_an_erasable_table_and_gone_everywhere_after_erasure()
    {
        var canary = "canary-" + Guid.NewGuid().ToString("N");
        var world = await ThreadWorld.CreateAsync(server);
        var requested = await server.As(DemoPartnership.SocialWorker).PostAsJsonAsync($"{world.Path}/sharing-without-consent", new
        {
            lawfulBasis = "safeguardingChild", justification = $"disclosure at school {canary}", expiresAt = DateTimeOffset.UtcNow.AddDays(30),
        });
        requested.StatusCode.ShouldBe(HttpStatusCode.Created, await requested.Content.ReadAsStringAsync());
        var broke = await server.As(DemoPartnership.SchoolNurse).PostAsJsonAsync($"{world.Path}/break-glass", new { justification = $"found collapsed {canary}" });
        broke.StatusCode.ShouldBe(HttpStatusCode.Created, await broke.Content.ReadAsStringAsync());

        // Before erasure the reads show the text, from the justification table: neither the log nor the audit trail holds it.
        var admin = server.As(DemoPartnership.PartnershipAdmin);
        var before = await admin.GetFromJsonAsync<JsonElement>($"{world.Path}/export");
        before.GetProperty("sharingWithoutConsent")[0].GetProperty("justification").GetString().ShouldBe($"disclosure at school {canary}");
        before.GetProperty("breakGlass")[0].GetProperty("justification").GetString().ShouldBe($"found collapsed {canary}");
        before.GetProperty("audit").EnumerateArray().ShouldContain(e => e.GetProperty("purpose").GetString() == $"found collapsed {canary}");
        (await DatabaseScan.EveryRowAsTextAsync(LocalServers.PostgresOwner, server.Schema))
            .Where(row => row.Contains(canary, StringComparison.Ordinal)).ShouldBeEmpty("stored encrypted, outside the log and the trail");

        foreach (var (name, staff) in ThreadWorld.Team)
            using (var ended = await server.As(staff).PostAsJsonAsync($"{world.Path}/involvements/{world.Involvements[name]}/end", new { }))
                ended.StatusCode.ShouldBe(HttpStatusCode.OK, await ended.Content.ReadAsStringAsync());
        (await CountAsync("client_justification", world.Client)).ShouldBe(2);
        using (var erased = await admin.PostAsJsonAsync($"{world.Path}/erasure", new { reason = "retention period over" }))
            erased.StatusCode.ShouldBe(HttpStatusCode.NoContent, await erased.Content.ReadAsStringAsync());

        (await CountAsync("client_justification", world.Client)).ShouldBe(0, "erased with the identity");
        var after = await admin.GetFromJsonAsync<JsonElement>($"{world.Path}/export");
        after.GetProperty("sharingWithoutConsent")[0].GetProperty("justification").GetString().ShouldBe(Core.Clients.Justifications.Erased);
        after.GetProperty("breakGlass")[0].GetProperty("justification").GetString().ShouldBe(Core.Clients.Justifications.Erased);
        after.GetProperty("audit").EnumerateArray().ShouldContain(e => e.GetProperty("action").GetString() == "break-glass.grant"
            && e.GetProperty("purpose").GetString() == Core.Clients.Justifications.Erased);
        after.GetRawText().ShouldNotContain(canary);
    }

    private async Task<long> CountAsync(string table, Guid id, string column = "client_id")
    {
        await using var connection = new NpgsqlConnection(LocalServers.PostgresOwner);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"SELECT count(*) FROM \"{server.Schema}\".{table} WHERE {column} = $1", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
