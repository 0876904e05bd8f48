using MassTransit;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using RabbitMQ.Client;
using Patchwork.Server.Messaging;

namespace Patchwork.Server.Health;

/// <summary>
/// Ready only when this node holds an open AMQP connection to the broker and the bus reports its
/// endpoints healthy. A killed broker closes the socket, so the probe sees it on the next check.
/// </summary>
internal sealed class BrokerReadiness(BrokerConnectionProbe probe, IBusControl bus) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (!await probe.IsConnectedAsync(cancellationToken))
            return HealthCheckResult.Unhealthy("no connection to the broker");
        if (bus.CheckHealth() is { Status: BusHealthStatus.Unhealthy or BusHealthStatus.Degraded } busHealth)
            return HealthCheckResult.Unhealthy("bus: " + busHealth.Description);
        return HealthCheckResult.Healthy("connected");
    }
}

/// <summary>Keeps one AMQP connection for readiness checks and reopens it when it has closed.</summary>
internal sealed class BrokerConnectionProbe(RabbitMqOptions options) : IAsyncDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private IConnection? _connection;

    public async Task<bool> IsConnectedAsync(CancellationToken cancellationToken)
    {
        if (_connection is { IsOpen: true }) return true;
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (_connection is { IsOpen: true }) return true;
            if (_connection is not null) await _connection.DisposeAsync();
            _connection = null;
            var factory = new ConnectionFactory
            {
                HostName = options.Host,
                Port = options.Port,
                VirtualHost = options.VirtualHost,
                UserName = options.Username,
                Password = options.Password,
                ClientProvidedName = "patchwork-readiness",
                AutomaticRecoveryEnabled = false,
                RequestedConnectionTimeout = TimeSpan.FromSeconds(2),
            };
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(TimeSpan.FromSeconds(3));
            _connection = await factory.CreateConnectionAsync(deadline.Token);
            return _connection.IsOpen;
        }
        catch (Exception failure) when (failure is RabbitMQ.Client.Exceptions.BrokerUnreachableException or OperationCanceledException
                                            or System.Net.Sockets.SocketException or IOException or TimeoutException)
        {
            return false;
        }
        finally
        {
            _gate.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_connection is not null) await _connection.DisposeAsync();
        _gate.Dispose();
    }
}
