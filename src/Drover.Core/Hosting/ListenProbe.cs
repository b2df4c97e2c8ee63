using System.Net;
using System.Net.Sockets;

namespace Drover.Core.Hosting;

/// <summary>
/// Checks that a TCP address is free before a web host starts on it. A generic host that fails to start logs the
/// bind error with its whole stack trace before the exception reaches us; probing first turns the common case (the
/// port is taken) into one clear <see cref="ListenAddressInUseException"/>. The host's own bind failure is still
/// translated for the rare race after the probe.
/// </summary>
public static class ListenProbe
{
    /// <exception cref="ListenAddressInUseException">Something listens on <paramref name="endpoint"/>.</exception>
    public static void ThrowIfTcpInUse(IPEndPoint endpoint, string listener)
    {
        if (endpoint.Port == 0) return; // the OS picks a free one
        using var probe = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            // same options as Kestrel's listener (.NET sets SO_REUSEADDR on TCP binds), so the probe agrees with it
            probe.Bind(endpoint);
            probe.Listen(1);
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            throw new ListenAddressInUseException(endpoint.ToString(), listener, e);
        }
    }
}
