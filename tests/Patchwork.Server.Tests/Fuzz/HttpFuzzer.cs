using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using FsCheck;
using FsCheck.Fluent;

namespace Patchwork.Server.Tests.Fuzz;

/// <summary>What one fuzzed request did wrong: answered 5xx (or threw in the host), or answered outside the document.</summary>
public sealed record FuzzFailure(string Kind, FuzzRequest Request, string What);

/// <summary>The counts of a run: requests per operation and caller by status, the totals, failures with their shrunk requests.</summary>
public sealed class FuzzReport
{
    public ConcurrentDictionary<string, ConcurrentDictionary<int, int>> ByOperation { get; } = new(StringComparer.Ordinal);
    public List<FuzzFailure> Shrunk { get; } = [];
    public int ServerErrors;
    public int SchemaBreaks;
    public int Requests;
    public TimeSpan Duration { get; set; }

    public void Count(string operation, int status)
    {
        ByOperation.GetOrAdd(operation, _ => new()).AddOrUpdate(status, 1, (_, n) => n + 1);
        Interlocked.Increment(ref Requests);
    }

    public override string ToString()
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"HTTP fuzz: {Requests} requests over {ByOperation.Count} operation/caller pairs in {Duration.TotalSeconds:0.0} s");
        foreach (var (operation, statuses) in ByOperation.OrderBy(o => o.Key, StringComparer.Ordinal))
            text.AppendLine(CultureInfo.InvariantCulture,
                $"  {operation,-92} {statuses.Values.Sum(),6}  {string.Join(" ", statuses.OrderBy(s => s.Key).Select(s => $"{s.Key}:{s.Value}"))}");
        var totals = ByOperation.Values.SelectMany(s => s).GroupBy(s => s.Key).OrderBy(g => g.Key).Select(g => $"{g.Key}:{g.Sum(s => s.Value)}");
        text.AppendLine(CultureInfo.InvariantCulture, $"  by status: {string.Join(" ", totals)}");
        text.AppendLine(CultureInfo.InvariantCulture, $"  5xx or host exceptions: {ServerErrors}; responses that break the document: {SchemaBreaks}");
        foreach (var failure in Shrunk)
            text.AppendLine(CultureInfo.InvariantCulture, $"FAILED ({failure.Kind}) {failure.What}{Environment.NewLine}  shrunk request: {failure.Request}");
        return text.ToString();
    }
}

/// <summary>
/// Sends FsCheck-generated requests to every operation of the document as every caller that may use it, counts every
/// answer by status, checks each is below 500 and keeps the document, and shrinks the first failures of each operation and
/// kind with FsCheck to the smallest request that still fails the same way. Request i of an operation is drawn from its own
/// seed (the run's seed mixed with the operation and i), so a run replays exactly whatever order the requests finish in.
/// </summary>
public sealed class HttpFuzzer(ApiContract contract, IReadOnlyDictionary<FuzzCaller, HttpClient> callers, FuzzValues known)
{
    private const int MostShrunk = 30;

    /// <summary>Who fuzzes which operation: sign-in's doors anonymously (a session must not sign itself out), the API as a practitioner and as a partner.</summary>
    public static IEnumerable<FuzzCaller> CallersOf(ApiOperation operation) =>
        operation.Path.StartsWith("/account/", StringComparison.Ordinal) ? [FuzzCaller.Anonymous] : [FuzzCaller.Practitioner, FuzzCaller.Partner];

    public async Task<FuzzReport> RunAsync(int total, ulong seed, int parallelism)
    {
        var report = new FuzzReport();
        var clock = Stopwatch.StartNew();
        var pairs = contract.Operations.SelectMany(o => CallersOf(o).Select(c => (Operation: o, Caller: c))).ToList();
        var each = (total + pairs.Count - 1) / pairs.Count;
        var failures = new ConcurrentDictionary<string, FuzzFailure>(StringComparer.Ordinal);
        var work = pairs.SelectMany((pair, p) => Enumerable.Range(0, each).Select(i => (pair, Seed: Mix(seed, (ulong)p, (ulong)i))));
        var generators = pairs.ToDictionary(pair => pair, pair => RequestGenerators.For(pair.Operation, pair.Caller, known));
        await Parallel.ForEachAsync(work, new ParallelOptions { MaxDegreeOfParallelism = parallelism }, async (item, ct) =>
        {
            var request = Gen.Sample(generators[item.pair], 1, new Rnd(item.Seed), 20)[0];
            var (status, failure) = await SendAsync(request);
            report.Count($"{request.Operation.Name} as {request.Caller}", status);
            if (failure is null) return;
            if (failure.Kind == "5xx") Interlocked.Increment(ref report.ServerErrors);
            else Interlocked.Increment(ref report.SchemaBreaks);
            failures.TryAdd($"{request.Operation.Name} {request.Caller} {failure.Kind} {Shape(failure.What)}", failure);
        });
        foreach (var failure in failures.Values.OrderBy(f => f.Kind == "5xx" ? 0 : 1).ThenBy(f => f.Request.Operation.Name, StringComparer.Ordinal).Take(MostShrunk))
            report.Shrunk.Add(await ShrinkAsync(failure));
        report.Duration = clock.Elapsed;
        return report;
    }

    /// <summary>The failure's description without the values that vary from request to request, so one kind is shrunk once.</summary>
    private static string Shape(string what) => what.Length > 60 ? what[..60] : what;

    private async Task<(int Status, FuzzFailure? Failure)> SendAsync(FuzzRequest request)
    {
        using var message = request.ToMessage();
        HttpResponseMessage response;
        try
        {
            response = await callers[request.Caller].SendAsync(message);
        }
        catch (Exception e) when (e is not TaskCanceledException)
        {
            // The test host rethrows what the application did not handle: in a real host, a 500.
            return (599, new FuzzFailure("5xx", request, $"the host threw {e.GetType().Name}: {e.Message} at {string.Join(" < ", (e.StackTrace ?? "").Split('\n').Take(4).Select(l => l.Trim()))}"));
        }
        using (response)
        {
            var status = (int)response.StatusCode;
            var body = await response.Content.ReadAsStringAsync();
            if (status >= 500) return (status, new FuzzFailure("5xx", request, $"{status}: {(body.Length > 600 ? body[..600] : body)}"));
            var breach = contract.Breach(request.Operation, status, response.Content.Headers.ContentType?.MediaType, body);
            return (status, breach is null ? null : new FuzzFailure("schema", request, breach));
        }
    }

    /// <summary>FsCheck shrinks the failing request through <see cref="FuzzRequest.Smaller"/>; the last request that still failed the same way is the answer.</summary>
    private async Task<FuzzFailure> ShrinkAsync(FuzzFailure failure)
    {
        var smallest = failure;
        var property = Prop.ForAll(Arb.From(Gen.Constant(failure.Request), r => r.Smaller()), request =>
        {
            var (_, again) = SendAsync(request).GetAwaiter().GetResult();
            if (again is null || again.Kind != failure.Kind) return true;
            smallest = again;
            return false;
        });
        // On a thread of the pool: the property blocks on the test host's async answer.
        await Task.Run(() => Check.One(Config.Quick.WithMaxTest(1).WithQuietOnSuccess(true).WithRunner(new SilentRunner()), property));
        return smallest;
    }

    private static ulong Mix(ulong seed, ulong operation, ulong index)
    {
        var x = seed ^ (operation * 0x9E3779B97F4A7C15UL) ^ (index * 0xBF58476D1CE4E5B9UL);
        x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9UL;
        x = (x ^ (x >> 27)) * 0x94D049BB133111EBUL;
        return x ^ (x >> 31);
    }

    /// <summary>FsCheck's own report would only repeat what the fuzz report prints.</summary>
    private sealed class SilentRunner : IRunner
    {
        public void OnStartFixture(Type t) { }
        public void OnArguments(int ntest, Microsoft.FSharp.Collections.FSharpList<object> args, Microsoft.FSharp.Core.FSharpFunc<int, Microsoft.FSharp.Core.FSharpFunc<Microsoft.FSharp.Collections.FSharpList<object>, string>> every) { }
        public void OnShrink(Microsoft.FSharp.Collections.FSharpList<object> args, Microsoft.FSharp.Core.FSharpFunc<Microsoft.FSharp.Collections.FSharpList<object>, string> everyShrink) { }
        public void OnFinished(string name, TestResult testResult) { }
    }
}
