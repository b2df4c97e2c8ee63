using System.Net.Sockets;

namespace Drover.Health;

public static class TcpProbe
{
    /// <summary>Connects and closes at once: null when the connection was accepted, else why it was not.</summary>
    public static async Task<string?> TryConnectAsync(string host, int port, CancellationToken ct)
    {
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await socket.ConnectAsync(host, port, ct).ConfigureAwait(false);
            return null;
        }
        catch (SocketException e)
        {
            return e.Message;
        }
    }
}
