using Patchwork.Testing;

namespace Patchwork.Benchmarks;

/// <summary>
/// ./patchwork bench [q1] [store] [p2] [--reseed] [--clients N]: each benchmark prints its figures beside a raw baseline
/// from the same run. (Not top-level statements: the server's own <c>Program</c> is the type P2's host is built from.)
/// </summary>
internal static class BenchmarkMain
{
    public static async Task Main(string[] args)
    {
        var clientsIndex = Array.IndexOf(args, "--clients");
        var clients = clientsIndex >= 0 ? int.Parse(args[clientsIndex + 1], System.Globalization.CultureInfo.InvariantCulture) : 1_000_000;
        var only = args.Where((a, i) => !a.StartsWith("--", StringComparison.Ordinal) && !(clientsIndex >= 0 && i == clientsIndex + 1))
            .ToHashSet(StringComparer.OrdinalIgnoreCase);
        bool Wanted(string name) => only.Count == 0 || only.Contains(name);

        if (Wanted("q1"))
            await TeamReadBenchmark.RunAsync(LocalServers.PostgresApp, LocalServers.PostgresOwner, clients, args.Contains("--reseed"));

        if (Wanted("store"))
            await EventStoreBenchmark.RunAsync();

        if (Wanted("p2"))
            await HttpRecordBenchmark.RunAsync();
    }
}
