using System.Globalization;
using Npgsql;
using Patchwork.EventStore;
using Patchwork.Testing;

namespace Patchwork.Benchmarks;

/// <summary>
/// The event store's bars (DESIGN.md §7): P1 appends from 32 writers, P3 bulk import in batches of 1,000, and
/// R1 subscription catch-up, each beside a raw Npgsql baseline measured in the same run on a table of the
/// same shape. Rounds of raw and store work are interleaved; the best round of each is reported.
/// </summary>
internal static class EventStoreBenchmark
{
    private const int Seconds = 4;
    private const int Rounds = 3;

    public static async Task RunAsync()
    {
        var schema = "bench_" + Guid.NewGuid().ToString("N")[..8];
        var options = new EventStoreOptions
        {
            Schema = schema,
            ConnectionString = LocalServers.PostgresApp,
            MigrationConnectionString = LocalServers.PostgresOwner,
        };
        options.Events.Register<InvolvementNoted>();

        await EventStoreMigrations.ApplyAsync(options);
        await Sql.AsOwnerAsync(Appends.RawTable(schema, new Npgsql.NpgsqlConnectionStringBuilder(LocalServers.PostgresApp).Username!));
        try
        {
            await using var store = EventStore.EventStore.Create(options);
            var durability = await Sql.RequireDurableAsync(store.DataSource);
            Console.WriteLine($"PostgreSQL durability: {durability}; {Environment.ProcessorCount} cores; {Rounds} rounds of {Seconds} s each, best round reported");
            var window = TimeSpan.FromSeconds(Seconds);

            // P1: 32 writers, one event per append, each at the version it expects.
            var p1 = new Appends(store, schema, writers: 32, eventsPerAppend: 1);
            await p1.RawAsync(TimeSpan.FromSeconds(1));
            await p1.StoreAsync(TimeSpan.FromSeconds(1));
            await p1.MartenAsync(TimeSpan.FromSeconds(1));
            var (p1Raw, p1Store, p1Marten) = await Compare(Rounds, () => p1.RawAsync(window), () => p1.StoreAsync(window), () => p1.MartenAsync(window));
            Report("P1 append, 32 writers", p1Store, p1Raw, "raw single-row INSERT", ratioGoal: 0.5, rateGoal: 2_000);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{"P1 context: Marten alone",-34} {p1Marten,10:N0} events/s | the same appends in a bare Marten session, without our metadata headers: ratio to raw {p1Marten / p1Raw:0.00}; the store's write session keeps {p1Store / p1Marten:0.00} of it"));

            // P3: partner bulk import, batches of 1,000 events into one stream per batch.
            var p3 = new Appends(store, schema, writers: 2, eventsPerAppend: 1_000);
            await p3.RawAsync(TimeSpan.FromSeconds(1));
            await p3.StoreAsync(TimeSpan.FromSeconds(1));
            var (p3Raw, p3Store) = await Compare(Rounds, () => p3.RawAsync(window), () => p3.StoreAsync(window));
            Report("P3 bulk import, batches of 1,000", p3Store, p3Raw, "raw multi-row INSERT", ratioGoal: 0.6, rateGoal: 20_000);

            // R1: a new subscription catching up with everything appended above.
            var r1 = new CatchUp(store, schema);
            var r1Raw = await r1.RawAsync();
            var r1Store = await r1.SubscriptionAsync();
            Report("R1 subscription catch-up", r1Store, r1Raw, "raw keyset-paged SELECT", ratioGoal: null, rateGoal: 15_000);
        }
        finally
        {
            await Sql.AsOwnerAsync($"""DROP SCHEMA IF EXISTS "{schema}" CASCADE""");
        }
    }

    private static async Task<(double Raw, double Store)> Compare(int rounds, Func<Task<double>> raw, Func<Task<double>> store)
    {
        var (bestRaw, bestStore, _) = await Compare(rounds, raw, store, null);
        return (bestRaw, bestStore);
    }

    private static async Task<(double Raw, double Store, double Other)> Compare(int rounds, Func<Task<double>> raw, Func<Task<double>> store, Func<Task<double>>? other)
    {
        // Interleaved rounds so drift in the machine's load hits every side alike.
        var (bestRaw, bestStore, bestOther) = (0d, 0d, 0d);
        for (var round = 0; round < rounds; round++)
        {
            bestRaw = Math.Max(bestRaw, await raw());
            bestStore = Math.Max(bestStore, await store());
            if (other is not null) bestOther = Math.Max(bestOther, await other());
        }
        return (bestRaw, bestStore, bestOther);
    }

    private static void Report(string what, double store, double raw, string baseline, double? ratioGoal, double rateGoal)
    {
        var ratio = store / raw;
        var meetsRatio = ratioGoal is not { } goal || ratio >= goal;
        var verdict = meetsRatio && store >= rateGoal ? "meets" : "MISSES";
        var ratioText = ratioGoal is { } g ? $"goal ≥ {g:0.00}" : "no ratio goal";
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{what,-34} {store,10:N0} events/s | {baseline} {raw,10:N0} events/s | ratio {ratio:0.00} ({ratioText}; rate goal ≥ {rateGoal:N0}/s) → {verdict}"));
    }
}
