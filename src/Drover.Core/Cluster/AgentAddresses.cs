using System.Net;

namespace Drover.Core.Cluster;

public static class AgentAddresses
{
    /// <summary>
    /// The agent's IP: the address it advertised, else its hostname when that is an IP, else the host of its endpoint
    /// URL when that is one, else null. The advertised address comes first because the operator chose it for exactly
    /// this (an agent named 10.0.0.5 may be reached as 192.168.1.5).
    /// </summary>
    public static string? IpAddress(this AgentInfo agent)
    {
        if (agent.Address is { } advertised && IPAddress.TryParse(advertised, out _)) return advertised;
        if (IPAddress.TryParse(agent.Hostname, out _)) return agent.Hostname;
        if (agent.Endpoint is { } ep && Uri.TryCreate(ep, UriKind.Absolute, out var u) && IPAddress.TryParse(u.Host.Trim('[', ']'), out _))
            return u.Host.Trim('[', ']');
        return null;
    }
}
