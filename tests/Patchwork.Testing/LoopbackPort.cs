using System.Net;
using System.Net.Sockets;

namespace Patchwork.Testing;

/// <summary>A loopback TCP port that nothing listens on at this moment, for a server a test starts.</summary>
public static class LoopbackPort
{
    public static int Free()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
