using System.Net;
using System.Net.Sockets;

namespace Drover.IntegrationTests.Harness;

/// <summary>Finds a TCP port on 127.0.0.1 that is free right now.</summary>
/// <remarks>
/// The port is released before it is returned, so another process could take it in between;
/// prefer letting the server bind port 0 and report its port when the server supports that.
/// </remarks>
public static class FreePort
{
    public static int Get()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
