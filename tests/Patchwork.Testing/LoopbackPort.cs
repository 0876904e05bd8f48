using System.Net;
using System.Net.Sockets;

namespace Patchwork.Testing;

/// <summary>
/// A loopback TCP port that nothing listens on at this moment, for a server a test starts. Chosen above Linux's ephemeral
/// range (32768–60999): a port from that range can be taken by any outgoing connection between the choice and the
/// server's start — or, for a server a fault test kills, between the kill and the restart on the same port.
/// </summary>
public static class LoopbackPort
{
    private const int First = 61_000;
    private const int Last = 65_535;

    public static int Free()
    {
        for (var attempt = 0; attempt < 200; attempt++)
        {
            var port = Random.Shared.Next(First, Last + 1);
            using var listener = new TcpListener(IPAddress.Loopback, port);
            try
            {
                listener.Start();
                return port;
            }
            catch (SocketException)
            {
                // In use: another server here (several engineers' servers share this range), try another.
            }
            finally
            {
                listener.Stop();
            }
        }
        throw new InvalidOperationException($"No free loopback port between {First} and {Last} after 200 tries.");
    }
}
