using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Patchwork.Testing;

namespace Patchwork.Server.Tests;

/// <summary>
/// A Patchwork server as a process of its own on a schema and virtual host of a test's, for tests that kill it with
/// SIGKILL mid-relay. What it prints is drained (a full pipe would block it) and its last lines kept for a failure's message.
/// </summary>
public sealed class RelayServerProcess(string schema, RabbitVirtualHost virtualHost)
{
    private readonly ConcurrentQueue<string> _said = new();

    /// <summary>The last 40 lines the server printed.</summary>
    public string LastSaid => string.Join('\n', _said);

    /// <summary>Where the last process started listens.</summary>
    public Uri? Address { get; private set; }

    public Process Start()
    {
        var port = LoopbackPort.Free();
        Address = new Uri($"http://127.0.0.1:{port}/");
        var start = ServerProcessStart.On(port);
        start.Environment["ConnectionStrings__Patchwork"] = LocalServers.PostgresApp;
        start.Environment["ConnectionStrings__PatchworkOwner"] = LocalServers.PostgresOwner;
        start.Environment["EventStore__Schema"] = schema;
        start.Environment["Tokens__Schema"] = schema;
        start.Environment["Policy__MaskingKey"] = LocalServers.Get("Policy__MaskingKey");
        start.Environment["RabbitMq__Host"] = virtualHost.Host;
        start.Environment["RabbitMq__Port"] = virtualHost.Port.ToString(CultureInfo.InvariantCulture);
        start.Environment["RabbitMq__VirtualHost"] = virtualHost.Name;
        start.Environment["RabbitMq__Username"] = virtualHost.Username;
        start.Environment["RabbitMq__Password"] = virtualHost.Password;
        var server = Process.Start(start)!;
        server.OutputDataReceived += (_, line) => Keep(line.Data);
        server.ErrorDataReceived += (_, line) => Keep(line.Data);
        server.BeginOutputReadLine();
        server.BeginErrorReadLine();
        return server;
    }

    /// <summary>Waits until the last process started answers <c>/health/ready</c> (its database, broker and relays are up).</summary>
    public async Task ReadyAsync(Process server, TimeSpan deadline)
    {
        ArgumentNullException.ThrowIfNull(server);
        using var http = new HttpClient { BaseAddress = Address, Timeout = TimeSpan.FromSeconds(10) };
        var until = DateTime.UtcNow + deadline;
        while (DateTime.UtcNow < until)
        {
            if (server.HasExited) throw new InvalidOperationException($"the server exited with {server.ExitCode}:\n{LastSaid}");
            try
            {
                if ((await http.GetAsync("health/ready")).IsSuccessStatusCode) return;
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (TaskCanceledException)
            {
                // Starting under load.
            }
            await Task.Delay(200);
        }
        throw new TimeoutException($"the server was not ready within {deadline}:\n{LastSaid}");
    }

    private void Keep(string? line)
    {
        if (line is null) return;
        _said.Enqueue(line);
        while (_said.Count > 40) _said.TryDequeue(out _);
    }
}
