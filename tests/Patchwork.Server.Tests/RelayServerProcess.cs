using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Patchwork.Testing;

namespace Patchwork.Server.Tests;

/// <summary>
/// A Patchwork server as a process of its own on a schema and virtual host of a test's, for tests that kill it with
/// SIGKILL mid-relay, or kill the database or broker beneath it. What it prints is drained (a full pipe would block it)
/// and its last lines kept for a failure's message.
/// </summary>
public sealed class RelayServerProcess
{
    private readonly ConcurrentQueue<string> _said = new();
    private readonly Dictionary<string, string> _settings;

    /// <summary>A server on the shared cluster, in <paramref name="schema"/>, and the shared broker node's <paramref name="virtualHost"/>.</summary>
    public RelayServerProcess(string schema, RabbitVirtualHost virtualHost)
        : this(schema, LocalServers.PostgresApp, LocalServers.PostgresOwner, virtualHost.Host, virtualHost.Port, virtualHost.Name, virtualHost.Username, virtualHost.Password)
    {
    }

    /// <summary>A server on the schema's cluster (perhaps a test's own) and the broker a rig uses (perhaps a test's own node).</summary>
    public RelayServerProcess(PostgresSchema schema, PartnerBus.BrokerAddress broker)
        : this(schema.Name, schema.AppConnectionString, schema.OwnerConnectionString, broker.Host, broker.Port, broker.VirtualHost, broker.Username, broker.Password)
    {
    }

    private RelayServerProcess(string schema, string application, string owner, string brokerHost, int brokerPort, string virtualHost, string username, string password) =>
        _settings = new(StringComparer.Ordinal)
        {
            ["ConnectionStrings__Patchwork"] = application,
            ["ConnectionStrings__PatchworkOwner"] = owner,
            ["EventStore__Schema"] = schema,
            ["Tokens__Schema"] = schema,
            ["Policy__MaskingKey"] = LocalServers.Get("Policy__MaskingKey"),
            ["RabbitMq__Host"] = brokerHost,
            ["RabbitMq__Port"] = brokerPort.ToString(CultureInfo.InvariantCulture),
            ["RabbitMq__VirtualHost"] = virtualHost,
            ["RabbitMq__Username"] = username,
            ["RabbitMq__Password"] = password,
        };

    /// <summary>The last 40 lines the server printed.</summary>
    public string LastSaid => string.Join('\n', _said);

    /// <summary>Where the last process started listens.</summary>
    public Uri? Address { get; private set; }

    public Process Start()
    {
        var port = LoopbackPort.Free();
        Address = new Uri($"http://127.0.0.1:{port}/");
        var start = ServerProcessStart.On(port);
        foreach (var (key, value) in _settings) start.Environment[key] = value;
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
