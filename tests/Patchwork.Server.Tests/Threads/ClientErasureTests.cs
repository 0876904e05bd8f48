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
        // The positive control: before erasure the canary is what the thread shows its members.
        using (var read = await server.As(DemoPartnership.PoliceOfficer).GetAsync(world.ThreadPath))
        {
            var shown = await read.Content.ReadAsStringAsync();
            read.StatusCode.ShouldBe(HttpStatusCode.OK, $"{world.ThreadPath}: {shown}");
            shown.ShouldContain(canary);
        }
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
        var events = await CountAsync("mt_events", world.Client, "stream_id");

        using (var erased = await admin.PostAsJsonAsync($"{world.Path}/erasure", erase))
            erased.StatusCode.ShouldBe(HttpStatusCode.NoContent, await erased.Content.ReadAsStringAsync());

        (await CountAsync("client_identity", world.Client)).ShouldBe(0, "the identity is gone");
        (await CountAsync("client_message_keys", world.Client)).ShouldBe(0, "and with the key, every message body");
        (await CountAsync("mt_events", world.Client, "stream_id")).ShouldBe(events, "the event skeleton stays");
        (await CountAsync("thread_messages", world.Thread, "thread_id")).ShouldBeGreaterThan(0, "message ids and times stay");
        // The message body is nowhere in clear: every value of every table in the schema, searched for the canary.
        var everything = await DatabaseScan.EveryRowAsTextAsync(LocalServers.PostgresOwner, server.Schema);
        everything.ShouldContain(row => row.Contains(world.Thread.ToString(), StringComparison.Ordinal), "the scan reads the thread's rows");
        everything.ShouldNotContain(row => row.Contains(canary, StringComparison.Ordinal), "the message body is stored in clear");

        // The export still answers, with the access log and the skeleton and no identity; the erasure is in the log.
        var export = await admin.GetFromJsonAsync<JsonElement>($"{world.Path}/export?purpose=subject%20access%20request");
        export.GetProperty("identity").ValueKind.ShouldBe(JsonValueKind.Null);
        export.GetProperty("audit").EnumerateArray().ShouldContain(entry => entry.GetProperty("action").GetString() == "client.erase"
            && entry.GetProperty("outcome").GetString() == "allowed" && entry.GetProperty("purpose").GetString() == erase.reason);

        using var again = await admin.PostAsJsonAsync($"{world.Path}/erasure", erase);
        again.StatusCode.ShouldBe(HttpStatusCode.NoContent, "erasing again erases nothing more and is answered the same");
    }

    [Fact]
    public async Task When_erasing_the_message_key_fails_the_identity_is_not_erased_either_and_no_erasure_is_audited()
    {
        var world = await ThreadWorld.CreateAsync(server);
        var admin = server.As(DemoPartnership.PartnershipAdmin);
        foreach (var (name, staff) in ThreadWorld.Team)
            using (var ended = await server.As(staff).PostAsJsonAsync($"{world.Path}/involvements/{world.Involvements[name]}/end", new { }))
                ended.StatusCode.ShouldBe(HttpStatusCode.OK, await ended.Content.ReadAsStringAsync());
        var erase = new { reason = "retention period after the last involvement has passed" };

        // The second step of the erasure (the message key, after the identity) fails, for this client only.
        await OwnerAsync(
            $"CREATE FUNCTION \"{server.Schema}\".refuse_key_erasure() RETURNS trigger LANGUAGE plpgsql AS " +
            "$$ BEGIN RAISE EXCEPTION 'the key store is unavailable (test)'; END $$; " +
            $"CREATE TRIGGER refuse_key_erasure BEFORE DELETE ON \"{server.Schema}\".client_message_keys " +
            $"FOR EACH ROW WHEN (OLD.client_id = '{world.Client}') EXECUTE FUNCTION \"{server.Schema}\".refuse_key_erasure()");
        try
        {
            HttpStatusCode? answered = null;
            try
            {
                using var failed = await admin.PostAsJsonAsync($"{world.Path}/erasure", erase);
                answered = failed.StatusCode;
            }
            catch (Exception e) when (e is not ShouldAssertException)
            {
                // The test host hands an unhandled failure back to the caller as the exception itself.
            }
            answered.ShouldNotBe(HttpStatusCode.NoContent, "the erasure failed part-way");
        }
        finally
        {
            await OwnerAsync($"DROP TRIGGER refuse_key_erasure ON \"{server.Schema}\".client_message_keys; DROP FUNCTION \"{server.Schema}\".refuse_key_erasure()");
        }

        (await CountAsync("client_identity", world.Client)).ShouldBe(1, "together or neither: the identity stays when the key could not go");
        (await CountAsync("client_message_keys", world.Client)).ShouldBe(1);
        (await AllowedErasuresAsync(world.Client)).ShouldBe(0, "no erasure is recorded as done");

        // Once the failure is gone, the same request erases both.
        using (var erased = await admin.PostAsJsonAsync($"{world.Path}/erasure", erase))
            erased.StatusCode.ShouldBe(HttpStatusCode.NoContent, await erased.Content.ReadAsStringAsync());
        (await CountAsync("client_identity", world.Client)).ShouldBe(0);
        (await CountAsync("client_message_keys", world.Client)).ShouldBe(0);
        (await AllowedErasuresAsync(world.Client)).ShouldBe(1);
    }

    private static async Task OwnerAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(LocalServers.PostgresOwner);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private async Task<long> AllowedErasuresAsync(Guid client)
    {
        await using var connection = new NpgsqlConnection(LocalServers.PostgresOwner);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            $"SELECT count(*) FROM \"{server.Schema}\".audit_entries WHERE client_id = $1 AND action = 'client.erase' AND outcome = 'allowed'", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = client });
        return (long)(await command.ExecuteScalarAsync())!;
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
        var before = await admin.GetFromJsonAsync<JsonElement>($"{world.Path}/export?purpose=subject%20access%20request");
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
        var after = await admin.GetFromJsonAsync<JsonElement>($"{world.Path}/export?purpose=subject%20access%20request");
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
