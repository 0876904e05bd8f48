using System.Globalization;
using Patchwork.Server.Demo;
using Patchwork.Server.Tests.Api;
using Patchwork.Server.Tokens;
using Xunit.Abstractions;

namespace Patchwork.Server.Tests.Fuzz;

/// <summary>
/// Issue 26: every operation of the served OpenAPI document, sent FsCheck-generated valid, boundary and hostile requests by
/// a practitioner signed in for real (session cookie, antiforgery on changes), by a partner system with a real token, and
/// (sign-in's doors) by no one: not one 5xx, not one answer the document does not describe. CI runs a seeded slice;
/// <c>./patchwork fuzz</c> runs 100,000 or more (<see cref="FuzzSettings"/>).
/// </summary>
[Trait("Category", "Fuzz")]
public sealed class HttpFuzzTests(SignedInApiServer server, ITestOutputHelper output) : IClassFixture<SignedInApiServer>
{
    [Fact]
    public async Task Every_operation_answers_generated_requests_below_500_and_as_its_document_says()
    {
        var contract = await ApiContract.ReadAsync(server.Anonymous());
        var callers = new Dictionary<FuzzCaller, HttpClient>
        {
            [FuzzCaller.Practitioner] = await server.AsAsync(DemoPartnership.SocialWorker),
            [FuzzCaller.Partner] = await server.AsPartnerOf(DemoPartnership.SocialCare.Id,
                PartnerScopes.Read, PartnerScopes.InvolvementsWrite, PartnerScopes.ConsentsWrite),
            [FuzzCaller.Anonymous] = server.Anonymous(),
        };
        var known = new FuzzValues(new Dictionary<string, string[]>
        {
            ["clientId"] = [DemoPartnership.Ellie.Value.ToString(), DemoPartnership.Jayden.Value.ToString()],
            ["organisation"] = [DemoPartnership.SocialCare.Id.Value.ToString(), DemoPartnership.Police.Id.Value.ToString()],
            // Never the signed-in social worker: disabling the fuzzing session would end the run's door, not test one.
            ["practitioner"] = [DemoPartnership.Teacher.Id.Value.ToString(), DemoPartnership.TeamManager.Id.Value.ToString()],
        });

        var report = await new HttpFuzzer(contract, callers, known).RunAsync(FuzzSettings.Requests, FuzzSettings.Seed, FuzzSettings.Parallelism);
        var printed = $"seed {FuzzSettings.Seed}{Environment.NewLine}{report}";
        output.WriteLine(printed);
        FuzzSettings.Keep("http-fuzz.txt", printed);

        report.Requests.ShouldBeGreaterThanOrEqualTo(FuzzSettings.Requests);
        contract.Operations.Count.ShouldBeGreaterThan(30, "the whole document was read");
        report.ShouldSatisfyAllConditions(
            () => report.ServerErrors.ShouldBe(0, printed),
            () => report.SchemaBreaks.ShouldBe(0, printed));
    }
}

/// <summary>
/// The fuzz suite's size and seed. CI runs the defaults (a fixed seed, a slice that fits a busy 2-core machine);
/// <c>./patchwork fuzz</c> sets PATCHWORK_FUZZ_REQUESTS and may set PATCHWORK_FUZZ_SEED to replay a run.
/// </summary>
public static class FuzzSettings
{
    public static int Requests => Number("PATCHWORK_FUZZ_REQUESTS", 3_000);

    public static ulong Seed => (ulong)Number("PATCHWORK_FUZZ_SEED", 2026_12_06);

    public static int Parallelism => Number("PATCHWORK_FUZZ_PARALLELISM", 4);

    /// <summary>Frames sent to the feed hub, and bad messages published to a partner's inbound exchange.</summary>
    public static int Frames => Number("PATCHWORK_FUZZ_FRAMES", 300);

    public static int BusMessages => Number("PATCHWORK_FUZZ_BUS_MESSAGES", 120);

    private static int Number(string name, int otherwise) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value > 0 ? value : otherwise;

    /// <summary>Writes a report where PATCHWORK_FUZZ_REPORTS says (./patchwork fuzz sets artifacts/fuzz), for the README's counts.</summary>
    public static void Keep(string file, string text)
    {
        if (Environment.GetEnvironmentVariable("PATCHWORK_FUZZ_REPORTS") is not { Length: > 0 } directory) return;
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, file), text);
    }
}
