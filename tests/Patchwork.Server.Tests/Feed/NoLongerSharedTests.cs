using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Patchwork.Server.Demo;
using Patchwork.Server.Feed;
using Patchwork.Server.Tests.Api;
using Patchwork.Server.Tests.Threads;
using Patchwork.Testing;

namespace Patchwork.Server.Tests.Feed;

/// <summary>
/// DESIGN.md §4: "no longer shared" goes only to someone who was told of the involvement, or the notice itself would
/// disclose it. The positive case (told, then withdrawn) beside the negative (shared and withdrawn before the relay
/// delivered, so never told): both through the police officer's own notice list, which the live feed pushes from.
/// </summary>
public sealed class NoLongerSharedTests(ApiServer server) : IClassFixture<ApiServer>
{
    [Fact]
    public async Task Only_a_practitioner_who_was_told_of_an_involvement_hears_that_it_is_no_longer_shared()
    {
        // Told: the consent is delivered before it is withdrawn.
        var (toldClient, toldInvolvement) = await ClientWithSocialWorkerAndOfficerAsync();
        var toldConsent = await GiveConsentToPoliceAsync(toldClient);
        await NoticeAsync(toldClient, FeedNoticeKinds.BecameVisible, toldInvolvement, "the officer told of the social worker under the consent");
        await WithdrawAsync(toldClient, toldConsent);
        await NoticeAsync(toldClient, FeedNoticeKinds.NoLongerShared, toldInvolvement, "the officer told the social worker is no longer shared");

        // Never told: the consent is given and withdrawn while the relay cannot read past an open transaction, so by the time
        // it delivers, the policy no longer lets the officer see the social worker.
        var (untoldClient, untoldInvolvement) = await ClientWithSocialWorkerAndOfficerAsync();
        await using (var holding = new NpgsqlConnection(LocalServers.PostgresOwner))
        {
            await holding.OpenAsync();
            await using var open = await holding.BeginTransactionAsync();
            // A transaction that has drawn an event sequence number and not committed: Marten's daemon does not read past
            // the gap it leaves while that transaction lives.
            await using (var take = new NpgsqlCommand($"SELECT nextval('\"{server.Schema}\".mt_events_sequence')", holding, open)) await take.ExecuteScalarAsync();
            var consent = await GiveConsentToPoliceAsync(untoldClient);
            await WithdrawAsync(untoldClient, consent);
            (await NoticesAsync()).ShouldNotContain(n => n.Client == untoldClient, "the relay read past the open transaction");
            await open.RollbackAsync();
        }
        var store = server.Services.GetRequiredService<EventStore.EventStore>();
        await Eventually.Within(TimeSpan.FromSeconds(120), async () => (await store.GetSubscriptionStatusAsync(FeedRelay.SubscriptionName))?.PendingEvents == 0,
            "the feed relay to deliver every event, the consent and its withdrawal included");

        var notices = await NoticesAsync();
        notices.ShouldNotContain(n => n.Subject == untoldInvolvement, "never told of the social worker, so not told she is no longer shared either");
        notices.Where(n => n.Subject == toldInvolvement).Select(n => n.Kind).ShouldBe([FeedNoticeKinds.BecameVisible, FeedNoticeKinds.NoLongerShared]);
    }

    [Fact]
    public async Task A_page_that_comes_again_is_decided_from_the_told_list_as_it_stood_before_the_page()
    {
        // Told, then withdrawn: the withdrawal's page stored the officer's "no longer shared" before it published it.
        var (client, socialWorker) = await ClientWithSocialWorkerAndOfficerAsync();
        var consent = await GiveConsentToPoliceAsync(client);
        await NoticeAsync(client, FeedNoticeKinds.BecameVisible, socialWorker, "the officer told of the social worker under the consent");
        await WithdrawAsync(client, consent);
        await NoticeAsync(client, FeedNoticeKinds.NoLongerShared, socialWorker, "the officer told the social worker is no longer shared");

        var store = server.Services.GetRequiredService<EventStore.EventStore>();
        await using var connection = await store.DataSource.OpenConnectionAsync();
        long withdrawal;
        Guid officer;
        await using (var read = new NpgsqlCommand(
            $"SELECT event_sequence, practitioner_id FROM \"{server.Schema}\".feed_notices WHERE client_id = $1 AND subject_id = $2 AND kind = $3", connection))
        {
            read.Parameters.Add(new NpgsqlParameter { Value = client });
            read.Parameters.Add(new NpgsqlParameter { Value = socialWorker });
            read.Parameters.Add(new NpgsqlParameter { Value = FeedNoticeKinds.NoLongerShared });
            await using var row = await read.ExecuteReaderAsync();
            (await row.ReadAsync()).ShouldBeTrue();
            (withdrawal, officer) = (row.GetInt64(0), row.GetGuid(1));
        }

        // Should the node have died before the withdrawal's checkpoint, its page comes again, starting at the withdrawal: the
        // officer still counts as told, so the repeat tells "no longer shared" again, with the same id, instead of nothing.
        var notices = server.Services.GetRequiredService<FeedNotices>();
        await using var transaction = await connection.BeginTransactionAsync();
        (await notices.ToldAsync([new Core.ClientId(client)], withdrawal, connection, transaction, default))
            .ShouldContain((officer, socialWorker), "the told-list before the withdrawal's page");
        (await notices.ToldAsync([new Core.ClientId(client)], withdrawal + 1, connection, transaction, default))
            .ShouldNotContain((officer, socialWorker), "the told-list after it");
    }

    private sealed record Notice(Guid Client, string Kind, Guid Subject);

    private async Task<List<Notice>> NoticesAsync()
    {
        var page = await server.As(DemoPartnership.PoliceOfficer).GetFromJsonAsync<JsonElement>("/api/v1/notices?after=0&limit=200");
        return [.. page.GetProperty("notices").EnumerateArray().Select(n =>
            new Notice(n.GetProperty("clientId").GetGuid(), n.GetProperty("kind").GetString()!, n.GetProperty("subjectId").GetGuid()))];
    }

    private Task NoticeAsync(Guid client, string kind, Guid subject, string what) =>
        Eventually.Within(TimeSpan.FromSeconds(120), async () => (await NoticesAsync()).Contains(new Notice(client, kind, subject)), what);

    /// <summary>A fresh client with the social worker's and the police officer's involvements and no consent yet.</summary>
    private async Task<(Guid Client, Guid SocialWorker)> ClientWithSocialWorkerAndOfficerAsync()
    {
        var client = (await server.GivenNewClientAsync("Unshared" + Guid.NewGuid().ToString("N")[..8])).Value;
        var involvements = new Dictionary<string, Guid>();
        foreach (var staff in new[] { DemoPartnership.SocialWorker, DemoPartnership.PoliceOfficer })
            involvements[staff.Name] = await ThreadWorld.IdAsync(await server.As(staff).PostAsJsonAsync($"/api/v1/clients/{client}/involvements", new
            {
                role = "key worker", category = "general", start = DateOnly.FromDateTime(DateTime.UtcNow.AddDays(-2)).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
                contact = new { phone = "01632 960999" },
            }), "involvementId");
        return (client, involvements[DemoPartnership.SocialWorker.Name]);
    }

    private async Task<Guid> GiveConsentToPoliceAsync(Guid client) => await ThreadWorld.IdAsync(
        await server.As(DemoPartnership.SocialWorker).PostAsJsonAsync($"/api/v1/clients/{client}/consents", ThreadWorld.Consent(new { sector = "police" })), "id");

    private async Task WithdrawAsync(Guid client, Guid consent)
    {
        using var withdrawn = await server.As(DemoPartnership.SocialWorker).PostAsync($"/api/v1/clients/{client}/consents/{consent}/withdraw", null);
        withdrawn.StatusCode.ShouldBe(HttpStatusCode.OK, await withdrawn.Content.ReadAsStringAsync());
    }
}
