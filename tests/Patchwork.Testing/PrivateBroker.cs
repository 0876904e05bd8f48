using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Patchwork.Testing;

/// <summary>
/// A RabbitMQ node of its own, started by <c>infra/local</c> on free loopback ports, for fault tests
/// that kill and restart the broker without disturbing every other test class.
/// </summary>
public sealed class PrivateBroker : IAsyncLifetime
{
    private readonly Dictionary<string, string> _environment = new(StringComparer.Ordinal);
    private Dictionary<string, string> _settings = new(StringComparer.Ordinal);

    public string Host => "127.0.0.1";
    public int Port { get; private set; }
    public string VirtualHost => _settings["RabbitMq__VirtualHost"];
    public string Username => _settings["RabbitMq__Username"];
    public string Password => _settings["RabbitMq__Password"];
    public Uri ManagementUrl => new(_settings["RabbitMq__ManagementUrl"]);
    public string AdminUsername => _settings["RabbitMq__AdminUsername"];
    public string AdminPassword => _settings["RabbitMq__AdminPassword"];

    public async Task InitializeAsync()
    {
        var directory = Path.Combine(LocalServers.RepositoryRoot, ".local", "private", "broker-" + Guid.NewGuid().ToString("N")[..8]);
        Port = LoopbackPort.Free();
        _environment["PATCHWORK_LOCAL_DIR"] = directory;
        _environment["PATCHWORK_AMQP_PORT"] = Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        _environment["PATCHWORK_RABBIT_DIST_PORT"] = LoopbackPort.Free().ToString(System.Globalization.CultureInfo.InvariantCulture);
        _environment["PATCHWORK_EPMD_PORT"] = LoopbackPort.Free().ToString(System.Globalization.CultureInfo.InvariantCulture);
        _environment["PATCHWORK_RABBIT_HTTP_PORT"] = LoopbackPort.Free().ToString(System.Globalization.CultureInfo.InvariantCulture);
        await StartAsync();
        _settings = (await RunAsync("env")).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split('=', 2))
            .ToDictionary(parts => parts[0], parts => LocalServers.Unquote(parts[1]), StringComparer.Ordinal);
    }

    /// <summary>False between <see cref="KillAsync"/> and the next <see cref="StartAsync"/>.</summary>
    public bool IsRunning { get; private set; }

    public async Task StartAsync()
    {
        await RunAsync("broker", "start");
        IsRunning = true;
    }

    /// <summary>kill -9 of the broker's Erlang VM: no goodbye to any client.</summary>
    public async Task KillAsync()
    {
        await RunAsync("broker", "kill");
        IsRunning = false;
    }

    /// <summary>
    /// Sets the node's memory high watermark so low that its memory alarm goes off: the broker stops reading from every
    /// connection that publishes (consumers still receive) until <see cref="ClearMemoryAlarmAsync"/>.
    /// </summary>
    public Task RaiseMemoryAlarmAsync() => RunAsync("broker", "alarm", "raise");

    /// <summary>Puts the configured memory high watermark back: the alarm clears and blocked publishers go on.</summary>
    public Task ClearMemoryAlarmAsync() => RunAsync("broker", "alarm", "clear");

    public async Task DisposeAsync()
    {
        await RunAsync("broker", "kill").ContinueWith(_ => { }, TaskScheduler.Default);
        // "stop" of a node already gone ends its port mapper (epmd), which a kill leaves running on the node's private port.
        await RunAsync("broker", "stop").ContinueWith(_ => { }, TaskScheduler.Default);
        var directory = _environment["PATCHWORK_LOCAL_DIR"];
        if (Directory.Exists(directory)) Directory.Delete(directory, recursive: true);
    }

    private async Task<string> RunAsync(params string[] arguments)
    {
        var start = new ProcessStartInfo(LocalServers.InfraScript)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        foreach (var (key, value) in _environment) start.Environment[key] = value;
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(300));
        await process.WaitForExitAsync(timeout.Token);
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"infra/local {string.Join(' ', arguments)} failed: {await error}");
        return await output;
    }

}
