using Patchwork.Testing;

namespace Patchwork.Benchmarks;

/// <summary>
/// ./patchwork bench [q1] [store] [p2] [i1] [tokens] [feed] [--reseed] [--clients N] [--insight-clients N] [--connections N]: each benchmark prints its figures beside a raw baseline
/// from the same run. (Not top-level statements: the server's own <c>Program</c> is the type P2's host is built from.)
/// </summary>
internal static class BenchmarkMain
{
    public static async Task<int> Main(string[] args)
    {
        try
        {
            await RunAsync(args);
            return 0;
        }
        catch (NotDurableException notDurable)
        {
            await Console.Error.WriteLineAsync(notDurable.Message);
            return 2;
        }
    }

    private static async Task RunAsync(string[] args)
    {
        // W1's baseline runs this same executable as a bare Kestrel WebSocket server in a process of its own.
        if (args is ["--raw-websocket-server", var port])
        {
            await FeedBenchmark.RunRawWebSocketServerAsync(int.Parse(port, System.Globalization.CultureInfo.InvariantCulture));
            return;
        }

        // The soak is not a benchmark (no baseline, minutes long): it runs alone.
        if (args is ["soak", ..])
        {
            await Soak.RunAsync(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 30);
            return;
        }

        var clientsIndex = Array.IndexOf(args, "--clients");
        var clients = clientsIndex >= 0 ? int.Parse(args[clientsIndex + 1], System.Globalization.CultureInfo.InvariantCulture) : 1_000_000;
        var only = args.Where((a, i) => !a.StartsWith("--", StringComparison.Ordinal) && (i == 0 || !args[i - 1].StartsWith("--", StringComparison.Ordinal) || args[i - 1] is "--reseed"))
            .ToHashSet(StringComparer.OrdinalIgnoreCase);
        bool Wanted(string name) => only.Count == 0 || only.Contains(name);

        // Checked once before anything is measured, so a non-durable cluster yields no figure at all (Q1 only reads, but its
        // figures are reported beside the write benchmarks' as one run's).
        await using (var database = Npgsql.NpgsqlDataSource.Create(LocalServers.PostgresOwner))
            Console.WriteLine($"PostgreSQL durability: {await Sql.RequireDurableAsync(database)}");

        if (Wanted("q1"))
            await TeamReadBenchmark.RunAsync(LocalServers.PostgresApp, LocalServers.PostgresOwner, clients, args.Contains("--reseed"));

        if (Wanted("store"))
            await EventStoreBenchmark.RunAsync();

        if (Wanted("p2"))
            await HttpRecordBenchmark.RunAsync();

        if (Wanted("i1"))
        {
            var insightIndex = Array.IndexOf(args, "--insight-clients");
            await InsightBenchmark.RunAsync(insightIndex >= 0 ? int.Parse(args[insightIndex + 1], System.Globalization.CultureInfo.InvariantCulture) : 1_000_000);
        }

        if (Wanted("tokens"))
            await TokenBenchmark.RunAsync();

        if (Wanted("feed"))
        {
            var connectionsIndex = Array.IndexOf(args, "--connections");
            await FeedBenchmark.RunAsync(connectionsIndex >= 0 ? int.Parse(args[connectionsIndex + 1], System.Globalization.CultureInfo.InvariantCulture) : 10_000);
        }
    }
}
