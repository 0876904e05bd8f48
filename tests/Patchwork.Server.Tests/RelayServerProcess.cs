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

    public Process Start()
    {
        var start = ServerProcessStart.On(LoopbackPort.Free());
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

    private void Keep(string? line)
    {
        if (line is null) return;
        _said.Enqueue(line);
        while (_said.Count > 40) _said.TryDequeue(out _);
    }
}
