using System.Net;

namespace Drover.Core.Cluster;

public static class AgentAddresses
{
    /// <summary>The agent's IP: its hostname when that is an IP, else the host of its endpoint URL when that is one, else null.</summary>
    public static string? IpAddress(this AgentInfo agent)
    {
        if (IPAddress.TryParse(agent.Hostname, out _)) return agent.Hostname;
        if (agent.Endpoint is { } ep && Uri.TryCreate(ep, UriKind.Absolute, out var u) && IPAddress.TryParse(u.Host.Trim('[', ']'), out _))
            return u.Host.Trim('[', ']');
        return null;
    }
}
