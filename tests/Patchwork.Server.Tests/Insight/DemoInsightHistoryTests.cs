using System.Net;
using System.Net.Http.Json;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Patchwork.Core.Insight;
using Patchwork.EventStore;
using Patchwork.Server.Demo;
using Patchwork.Server.Insight;
using Patchwork.Server.Tests.Api;
using Patchwork.Testing;

namespace Patchwork.Server.Tests.Insight;

/// <summary>A host that seeds the demo's eighteen months of fictional history, as <c>./patchwork run</c> does.</summary>
public sealed class HistoryServer : ApiServer
{
    public HistoryServer() => Settings["Demo:InsightHistory"] = "true";
}

/// <summary>
/// The demo's history (issue 23): on a fresh machine, this year against last shows something in most months, a second
/// seeding adds nothing, and an involvement recorded through the API is counted under the API's channel.
/// </summary>
public sealed class DemoInsightHistoryTests(HistoryServer server) : IClassFixture<HistoryServer>
{
    [Fact]
    public async Task Eighteen_months_of_history_are_counted_and_seeding_again_adds_nothing()
    {
        var store = server.Services.GetRequiredService<EventStore.EventStore>();
        var projection = server.Services.GetRequiredService<InsightProjection>();
        var events = await EventCountAsync(store);
        await Eventually.Within(TimeSpan.FromSeconds(90), async () => await projection.PositionAsync(CancellationToken.None) >= await LastSequenceAsync(store),
            "the insight projection to count the seeded history");

        await using (var query = store.Marten.QuerySession())
        {
            var partnership = await query.Query<InsightMonth>().Where(m => m.Organisation == InsightLedger.Partnership).ToListAsync();
            partnership.Count(m => m.InvolvementsRecordedWeb + m.InvolvementsRecordedApi + m.InvolvementsRecordedBus > 0).ShouldBeGreaterThanOrEqualTo(15);
            partnership.Sum(m => m.MultiAgencyClients).ShouldBeGreaterThan(DemoInsightHistory.Clients / 3);
            partnership.Sum(m => m.InvolvementsRecordedBus).ShouldBeGreaterThan(0);
            partnership.Sum(m => m.InvolvementsRecordedWeb).ShouldBeGreaterThan(0);
        }

        await new DemoInsightHistory(store, TimeProvider.System, NullLogger<DemoInsightHistory>.Instance).StartAsync(CancellationToken.None);
        (await EventCountAsync(store)).ShouldBe(events, "the second seeding found the first and stopped");
    }

    [Fact]
    public async Task An_involvement_recorded_through_the_API_is_counted_as_the_APIs()
    {
        var store = server.Services.GetRequiredService<EventStore.EventStore>();
        var projection = server.Services.GetRequiredService<InsightProjection>();
        var month = InsightMonth.MonthOf(DateTimeOffset.UtcNow);
        var id = InsightMonth.IdFor(DemoPartnership.Police.Id.Value, month);
        await Eventually.Within(TimeSpan.FromSeconds(90), async () => await projection.PositionAsync(CancellationToken.None) >= await LastSequenceAsync(store),
            "the insight projection to catch up before the act");
        var before = await ApiCountAsync(store, id);

        var client = await server.GivenNewClientAsync("Channel" + Guid.NewGuid().ToString("N")[..8]);
        using var recorded = await server.As(DemoPartnership.PoliceOfficer).PostAsJsonAsync($"/api/v1/clients/{client.Value}/involvements", new
        {
            role = "officer in the case",
            category = "general",
            start = DateOnly.FromDateTime(DateTime.UtcNow),
            contact = new { phone = "01632 960001" },
        });
        recorded.StatusCode.ShouldBe(HttpStatusCode.Created, await recorded.Content.ReadAsStringAsync());
        await Eventually.Within(TimeSpan.FromSeconds(60), () => ApiCountAsync(store, id), count => count == before + 1, "the API's involvement to be counted");
    }

    private static async Task<int> ApiCountAsync(EventStore.EventStore store, string id)
    {
        await using var query = store.Marten.QuerySession();
        return (await query.LoadAsync<InsightMonth>(id))?.InvolvementsRecordedApi ?? 0;
    }

    private static async Task<long> EventCountAsync(EventStore.EventStore store)
    {
        await using var command = store.DataSource.CreateCommand($"SELECT count(*) FROM \"{store.Schema}\".mt_events");
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private static async Task<long> LastSequenceAsync(EventStore.EventStore store)
    {
        await using var command = store.DataSource.CreateCommand($"SELECT coalesce(max(seq_id), 0) FROM \"{store.Schema}\".mt_events");
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
