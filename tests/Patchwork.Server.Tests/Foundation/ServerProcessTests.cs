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
    public async Task The_server_logs_json_lines_and_stops_cleanly_on_SIGTERM()
    {
        var port = LoopbackPort.Free();
        var start = ServerProcessStart.On(port);
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
            string.Join('\n', logged).ShouldNotContain(LocalServers.RabbitPassword);
        }
        finally
        {
            if (!server.HasExited) server.Kill(entireProcessTree: true);
        }
    }

}
