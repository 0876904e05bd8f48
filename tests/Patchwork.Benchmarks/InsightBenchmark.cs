using System.Diagnostics;
using Marten;
using Patchwork.Core;
using Patchwork.Core.Access;
using Patchwork.Core.Clients;
using Patchwork.Core.Consents;
using Patchwork.Core.Insight;
using Patchwork.Core.Involvements;
using Patchwork.EventStore;
using Patchwork.Server.Insight;
using Patchwork.Testing;

namespace Patchwork.Benchmarks;

/// <summary>
/// I1 (DESIGN.md §7, issue 23): a partnership of <c>clients</c> clients with five events each (three involvements of
/// three organisations, a consent, an ending) over two years. The insight projection catches up with all of them under
/// the daemon (events/s, goal ≥ 10,000), beside one raw GROUP BY over the log of the same counts; then the figures a page
/// shows for one organisation and for every organisation (the month documents read, every measure's year against last
/// protected) p50/p99 over 200 reads (goal ≤ 200 ms), beside a raw query of the same rows. The page's HTML and sign-in
/// are not in it: the host's own overhead is P2's.
/// </summary>
internal static class InsightBenchmark
{
    private static readonly Guid[] Organisations = [.. Enumerable.Range(0, 5).Select(_ => Guid.CreateVersion7())];

    public static async Task RunAsync(int clients)
    {
        var schema = "bench_i1_" + Guid.NewGuid().ToString("N")[..8];
        var options = new EventStoreOptions { Schema = schema, ConnectionString = LocalServers.PostgresApp, MigrationConnectionString = LocalServers.PostgresOwner };
        options.Events.RegisterFrom(typeof(ClientSharing).Assembly);
        // The partnership document too: the page names the organisations side by side from it.
        options.AddInsightDocuments().AddPartnershipState();
        await EventStoreMigrations.ApplyAsync(options);
        try
        {
            await using var store = EventStore.EventStore.Create(options);
            Console.WriteLine($"I1: seeding {clients:N0} clients, {clients * 5L:N0} events");
            var seeding = Stopwatch.StartNew();
            await RegisterOrganisationsAsync(store);
            await SeedAsync(store, clients);
            var total = await Sql.ScalarAsync<long>(store.DataSource, $"""SELECT count(*) FROM "{schema}".mt_events""");
            var last = await Sql.ScalarAsync<long>(store.DataSource, $"""SELECT max(seq_id) FROM "{schema}".mt_events""");
            Console.WriteLine($"I1: seeded in {seeding.Elapsed.TotalSeconds:0} s");

            var raw = Stopwatch.StartNew();
            _ = await Sql.ScalarAsync<long>(store.DataSource, $"""
                SELECT count(*) FROM (SELECT data->'by'->>'organisation', date_trunc('month', (data->>'at')::timestamptz), type, count(*)
                FROM "{schema}".mt_events WHERE type = ANY(ARRAY['involvement.recorded.v1','involvement.ended.v1','consent.recorded.v1'])
                GROUP BY 1, 2, 3) g
                """);
            var rawRate = total / raw.Elapsed.TotalSeconds;

            var projection = new InsightProjection(store);
            var runner = store.CreateSubscriptionRunner(InsightProjection.SubscriptionName, projection, new SubscriptionOptions { PageSize = InsightProjection.PageSize, PollInterval = TimeSpan.FromMilliseconds(100) });
            using var stop = new CancellationTokenSource();
            var catchUp = Stopwatch.StartNew();
            var running = runner.RunAsync(stop.Token);
            var deadline = DateTime.UtcNow.AddMinutes(30);
            while (await projection.PositionAsync(CancellationToken.None) < last)
            {
                if (DateTime.UtcNow > deadline) throw new TimeoutException("the insight projection did not catch up within 30 minutes");
                await Task.Delay(100);
            }
            var rate = total / catchUp.Elapsed.TotalSeconds;
            await stop.CancelAsync();
            await running;
            Console.WriteLine($"I1 catch-up: insight projection {rate:N0} events/s (goal ≥ 10,000) beside a raw GROUP BY of the log {rawRate:N0} events/s");

            var figures = new InsightFigures(store);
            var report = new InsightReport(figures, new ClientTeamReader(store, options, TimeProvider.System, new PolicyOptions(MaskingKey.Generate())), TimeProvider.System);
            var year = ReportingYear.Holding(YearBasis.Financial, DateOnly.FromDateTime(DateTime.UtcNow));
            var (from, to) = (year.Previous.Months[0], year.Months[^1]);
            foreach (var (who, organisation) in new[] { ("one organisation", (Guid?)Organisations[0]), ("every organisation", null) })
            {
                // What the page and the API serve: InsightReport, with the side-by-side protection and the medians.
                async Task PageFigures() => _ = await report.BuildAsync("activity", year, organisation, CancellationToken.None);
                async Task RawRows() => _ = await Sql.ScalarAsync<long>(store.DataSource, $"""
                    SELECT count(data::text) FROM "{schema}".mt_doc_insight_month WHERE (data->>'month')::int BETWEEN {from} AND {to}
                    {(organisation is { } o ? $"AND data->>'organisation' = '{o}'" : "")}
                    """);
                var (p50, p99) = await TimedAsync(PageFigures);
                var (rawP50, rawP99) = await TimedAsync(RawRows);
                Console.WriteLine($"I1 figures for {who}: p50 {p50:0.0} ms, p99 {p99:0.0} ms (goal ≤ 200 ms) beside the raw query of the same rows p50 {rawP50:0.0} ms, p99 {rawP99:0.0} ms");
            }
        }
        finally
        {
            await Sql.AsOwnerAsync($"""DROP SCHEMA IF EXISTS "{schema}" CASCADE""");
        }
    }

    private static async Task<(double P50, double P99)> TimedAsync(Func<Task> read)
    {
        for (var i = 0; i < 10; i++) await read();
        var times = new List<double>(200);
        for (var i = 0; i < 200; i++)
        {
            var started = Stopwatch.GetTimestamp();
            await read();
            times.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
        times.Sort();
        return (times[99], times[197]);
    }

    /// <summary>The five organisations, registered as the partnership's, so the page shows each beside the partnership.</summary>
    private static async Task RegisterOrganisationsAsync(EventStore.EventStore store)
    {
        await using var write = await store.OpenWriteTransactionAsync(EventMetadata.None);
        var by = new ActedBy(new OrganisationId(Organisations[0]), new PractitionerId(Guid.CreateVersion7()), null);
        for (var o = 0; o < Organisations.Length; o++)
            write.Session.Events.StartStream(Organisations[o], new Core.Organisations.OrganisationRegistered(new OrganisationId(Organisations[o]), $"Organisation {o + 1}",
                Sector.SocialCare, null, null, by, DateTimeOffset.UtcNow));
        if (!await write.CommitAsync(CancellationToken.None)) throw new InvalidOperationException("the organisations were refused");
    }

    /// <summary>Batches of 200 clients (1,000 events) a transaction, as P3 imports.</summary>
    private static async Task SeedAsync(EventStore.EventStore store, int clients)
    {
        var random = new Random(1);
        var start = DateTimeOffset.UtcNow.AddMonths(-24);
        for (var batch = 0; batch < clients; batch += 200)
        {
            await using var write = await store.OpenWriteTransactionAsync(new EventMetadata(Channel: "bus"));
            for (var c = batch; c < Math.Min(clients, batch + 200); c++)
            {
                var client = new ClientId(Guid.CreateVersion7());
                var at = start.AddMinutes(random.Next(0, 60 * 24 * 700));
                var first = new InvolvementId(Guid.CreateVersion7());
                ActedBy By(int org) => new(new OrganisationId(Organisations[org]), new PractitionerId(Guid.CreateVersion7()), null);
                InvolvementRecorded Involvement(InvolvementId id, int org, DateTimeOffset when) =>
                    new(id, client, null, "Key worker", null, Category.General, DateOnly.FromDateTime(when.UtcDateTime), new ContactRoute("01632 960000", null), false, By(org), when);
                var lead = random.Next(5);
                write.Session.Events.StartStream(client.Value,
                    Involvement(first, lead, at),
                    Involvement(new InvolvementId(Guid.CreateVersion7()), (lead + 1) % 5, at.AddDays(random.Next(1, 60))),
                    Involvement(new InvolvementId(Guid.CreateVersion7()), (lead + 2) % 5, at.AddDays(random.Next(30, 90))),
                    new ConsentRecorded(new ConsentId(Guid.CreateVersion7()), client, SharingScope.SectorNamed(Sector.Police), CategoryScope.GeneralOnly,
                        ConsentGiver.Client, new ConsentEvidence(EvidenceKind.Verbal, null), null, By(lead), at.AddDays(2)),
                    new InvolvementEnded(first, client, DateOnly.FromDateTime(at.AddDays(100).UtcDateTime), By(lead), at.AddDays(100)));
            }
            if (!await write.CommitAsync(CancellationToken.None)) throw new InvalidOperationException("a seeding batch was refused");
        }
    }
}
