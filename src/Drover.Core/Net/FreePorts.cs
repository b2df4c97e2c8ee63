using System.Net;
using System.Net.Sockets;

namespace Drover.Core.Net;

/// <summary>A loopback TCP port nobody holds right now (the kernel's pick), for local helpers Drover starts itself.</summary>
public static class FreePorts
{
    /// <remarks>Another program may take it before the caller binds it; callers start something that fails clearly then.</remarks>
    public static int Loopback()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }
}
