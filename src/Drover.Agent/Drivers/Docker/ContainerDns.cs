using System.Net;

namespace Drover.Agent.Drivers.Docker;

/// <summary>
/// Whether containers can use Drover's DNS as their resolver. Docker's --dns takes addresses only (port 53 is
/// implied), and a container on the bridge network has its own loopback: so the server's DNS must listen on
/// port 53 of an address other than loopback. When it listens on every address (0.0.0.0:53), the server's address
/// as the agent joined it is used. Otherwise containers keep Docker's default resolvers (the host's), and the
/// reason is logged once; run the server with <c>--dns-listen HOST-ADDRESS:53</c> to change that.
/// </summary>
public static class ContainerDns
{
    /// <summary>The resolvers to give containers and why: <paramref name="dnsEndpoint"/> is the server's DNS as bound (ip:port).</summary>
    public static (IReadOnlyList<string> Servers, string Why) Choose(string? dnsEndpoint, string serverUrl)
    {
        if (string.IsNullOrWhiteSpace(dnsEndpoint)) return ([], "the server runs no DNS");
        if (!IPEndPoint.TryParse(dnsEndpoint, out var ep)) return ([], $"the server's DNS address '{dnsEndpoint}' is not ip:port");
        if (ep.Port != 53) return ([], $"the server's DNS listens on port {ep.Port}, and Docker's --dns can only use port 53");
        var address = ep.Address;
        if (address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any))
        {
            if (!Uri.TryCreate(serverUrl, UriKind.Absolute, out var url) || !IPAddress.TryParse(url.Host.Trim('[', ']'), out var joined))
                return ([], $"the server's DNS listens on every address, but the agent joined it by name ({serverUrl}), not by address");
            address = joined;
        }
        if (IPAddress.IsLoopback(address))
            return ([], $"the server's DNS listens on {address}, which containers cannot reach (their loopback is their own)");
        return ([address.ToString()], $"the server's DNS at {address}:53");
    }
}
