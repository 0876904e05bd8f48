using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace Patchwork.Web.Tests;

/// <summary>
/// A loopback TCP relay in front of the server, standing for the network between a browser and Patchwork: it can cut
/// every open connection (what a dropped mobile connection or a restarting proxy does to a WebSocket, an event stream or
/// a pending poll) and refuse new ones until it is restored (the browser is offline).
/// </summary>
public sealed class UnreliableNetwork : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly IPEndPoint _server;
    private readonly ConcurrentDictionary<Socket, byte> _open = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _accepting;
    private volatile bool _down;

    public UnreliableNetwork(Uri server)
    {
        ArgumentNullException.ThrowIfNull(server);
        _server = new IPEndPoint(IPAddress.Loopback, server.Port);
        _listener.Start();
        Address = new Uri($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/");
        _accepting = AcceptAsync();
    }

    /// <summary>Where a browser reaches the server through this network.</summary>
    public Uri Address { get; }

    /// <summary>Cuts every open connection and refuses new ones until <see cref="Restore"/>.</summary>
    public void GoDown()
    {
        _down = true;
        foreach (var socket in _open.Keys) Close(socket);
    }

    public void Restore() => _down = false;

    private async Task AcceptAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            Socket browser;
            try { browser = await _listener.AcceptSocketAsync(_stopping.Token); }
            catch (OperationCanceledException) { return; }
            if (_down)
            {
                Close(browser);
                continue;
            }
            _ = RelayAsync(browser);
        }
    }

    private async Task RelayAsync(Socket browser)
    {
        var server = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        _open.TryAdd(browser, 0);
        _open.TryAdd(server, 0);
        try
        {
            await server.ConnectAsync(_server, _stopping.Token);
            await Task.WhenAny(PumpAsync(browser, server), PumpAsync(server, browser));
        }
        catch (Exception failure) when (failure is SocketException or OperationCanceledException or ObjectDisposedException)
        {
        }
        finally
        {
            Close(browser);
            Close(server);
        }
    }

    private async Task PumpAsync(Socket from, Socket to)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            while (true)
            {
                var read = await from.ReceiveAsync(buffer, SocketFlags.None, _stopping.Token);
                if (read == 0) return;
                await to.SendAsync(buffer.AsMemory(0, read), SocketFlags.None, _stopping.Token);
            }
        }
        catch (Exception failure) when (failure is SocketException or OperationCanceledException or ObjectDisposedException)
        {
        }
    }

    private void Close(Socket socket)
    {
        _open.TryRemove(socket, out _);
        try { socket.Shutdown(SocketShutdown.Both); }
        catch (Exception failure) when (failure is SocketException or ObjectDisposedException) { }
        socket.Dispose();
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        _listener.Stop();
        await _accepting;
        foreach (var socket in _open.Keys) Close(socket);
        _stopping.Dispose();
    }
}
