using Patchwork.Benchmarks;
using Patchwork.Testing;

// ./patchwork bench [q1] [store] [--reseed] [--clients N]: each benchmark prints its figures beside a raw baseline from the same run.
var clientsIndex = Array.IndexOf(args, "--clients");
var clients = clientsIndex >= 0 ? int.Parse(args[clientsIndex + 1], System.Globalization.CultureInfo.InvariantCulture) : 1_000_000;
var isClientsValue = (int i) => clientsIndex >= 0 && i == clientsIndex + 1;
var only = args.Where((a, i) => !a.StartsWith("--", StringComparison.Ordinal) && !isClientsValue(i)).ToHashSet(StringComparer.OrdinalIgnoreCase);
bool Wanted(string name) => only.Count == 0 || only.Contains(name);

if (Wanted("q1"))
    await TeamReadBenchmark.RunAsync(LocalServers.PostgresApp, LocalServers.PostgresOwner, clients, args.Contains("--reseed"));

if (Wanted("store"))
    await EventStoreBenchmark.RunAsync();
