using System.Diagnostics;
using Patchwork.Testing;

namespace Patchwork.Server.Tests.Foundation;

/// <summary>
/// What an operator starts beside the service is valid as Prometheus itself reads it: promtool (from Debian's prometheus
/// package, which infra/local installs when missing) checks the configuration and the rules, and runs the rules' unit tests.
/// </summary>
public sealed class PrometheusConfigTests
{
    private static readonly string Directory = Path.Combine(LocalServers.RepositoryRoot, "infra", "prometheus");

    [Fact]
    public async Task Promtool_accepts_the_configuration_and_the_alert_rules()
    {
        var config = await PromtoolAsync("check", "config", "prometheus.yml");
        config.ShouldContain("SUCCESS: 1 rule files found");
        var rules = await PromtoolAsync("check", "rules", "patchwork.rules.yml");
        rules.ShouldContain("SUCCESS: 9 rules found");
    }

    [Fact]
    public async Task The_relay_lag_readiness_and_certificate_alerts_fire_on_the_series_the_server_exports()
    {
        (await PromtoolAsync("test", "rules", "patchwork.rules.test.yml")).ShouldContain("SUCCESS");
    }

    private static async Task<string> PromtoolAsync(params string[] arguments)
    {
        var start = new ProcessStartInfo("promtool") { WorkingDirectory = Directory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        using var promtool = Process.Start(start) ?? throw new InvalidOperationException("promtool did not start (infra/local install puts it there)");
        var output = promtool.StandardOutput.ReadToEndAsync();
        var errors = promtool.StandardError.ReadToEndAsync();
        await promtool.WaitForExitAsync();
        var said = await output + await errors;
        promtool.ExitCode.ShouldBe(0, said);
        return said;
    }
}
