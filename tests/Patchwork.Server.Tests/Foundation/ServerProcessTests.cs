using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Patchwork.Testing;

namespace Patchwork.Server.Tests.Foundation;

/// <summary>The server as a real process: what an operator sees on stdout and when stopping it.</summary>
public sealed class ServerProcessTests(RabbitVirtualHost virtualHost) : IClassFixture<RabbitVirtualHost>
{
    [Fact]
    public async Task The_server_logs_json_lines_with_trace_ids_serves_metrics_on_its_private_port_only_and_stops_cleanly_on_SIGTERM()
    {
        var port = LoopbackPort.Free();
        var metricsPort = LoopbackPort.Free();
        var start = ServerProcessStart.On(port);
        start.Environment["Telemetry__MetricsPort"] = metricsPort.ToString(System.Globalization.CultureInfo.InvariantCulture);
        start.Environment["ConnectionStrings__Patchwork"] = LocalServers.PostgresApp;
        start.Environment["RabbitMq__Host"] = LocalServers.RabbitHost;
        start.Environment["RabbitMq__Port"] = LocalServers.RabbitPort.ToString(System.Globalization.CultureInfo.InvariantCulture);
        start.Environment["RabbitMq__VirtualHost"] = virtualHost.Name;
        start.Environment["RabbitMq__Username"] = LocalServers.RabbitUsername;
        start.Environment["RabbitMq__Password"] = LocalServers.RabbitPassword;

        using var server = Process.Start(start)!;
        var lines = new List<string>();
        var reading = Task.Run(async () =>
        {
            while (await server.StandardOutput.ReadLineAsync() is { } line) lock (lines) lines.Add(line);
        });
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
            await Eventually.Within(TimeSpan.FromSeconds(180), async () =>
            {
                try { return (await http.GetAsync("/health/ready")).StatusCode == HttpStatusCode.OK; }
                catch (HttpRequestException) { return false; }
            }, "the server process to become ready");

            // A refused token request: OpenIddict logs why, inside the request, so the line carries the request's trace.
            (await http.PostAsync("/connect/token", new FormUrlEncodedContent([new("grant_type", "client_credentials")]))).IsSuccessStatusCode.ShouldBeFalse();
            using var metrics = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{metricsPort}") };
            var scraped = await metrics.GetAsync("/metrics");
            scraped.StatusCode.ShouldBe(HttpStatusCode.OK);
            var exposition = await scraped.Content.ReadAsStringAsync();
            exposition.ShouldContain("http_server_request_duration_seconds_bucket");
            exposition.ShouldContain("patchwork_feed_connections");
            exposition.ShouldContain("patchwork_tokens_signing_certificate_remaining_seconds");
            (await http.GetAsync("/metrics")).StatusCode.ShouldBe(HttpStatusCode.NotFound, "never on the public port");
            (await metrics.GetAsync("/health/ready")).StatusCode.ShouldBe(HttpStatusCode.NotFound, "the metrics port serves metrics only");
            (await metrics.GetAsync("/sign-in")).StatusCode.ShouldBe(HttpStatusCode.NotFound);

            using (var term = Process.Start("kill", ["-TERM", server.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])) await term.WaitForExitAsync();
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await server.WaitForExitAsync(deadline.Token);
            await reading;

            server.ExitCode.ShouldBe(0);
            string[] logged;
            lock (lines) logged = [.. lines];
            logged.ShouldNotBeEmpty();
            var messages = logged.Select(line => JsonDocument.Parse(line).RootElement.GetProperty("Message").GetString()).ToList();
            messages.ShouldContain("Application is shutting down...");
            logged.Where(line => line.Contains("OpenIddict", StringComparison.Ordinal))
                .ShouldContain(line => line.Contains("\"TraceId\":", StringComparison.Ordinal) && line.Contains("\"SpanId\":", StringComparison.Ordinal),
                    "a log line written inside a request carries its trace and span ids");
            string.Join('\n', logged).ShouldNotContain(LocalServers.RabbitPassword);
        }
        finally
        {
            if (!server.HasExited) server.Kill(entireProcessTree: true);
        }
    }

}
