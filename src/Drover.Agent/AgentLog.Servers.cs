using Microsoft.Extensions.Logging;

namespace Drover.Agent;

internal static partial class AgentLog
{
    // Servers, tokens and TLS (11xx)
    [LoggerMessage(1100, LogLevel.Error, "Refused by {Server}: {Error}; retrying in {Delay} (fix the join token or the server address; the agent keeps trying)")]
    public static partial void JoinRefused(this ILogger log, string server, string error, TimeSpan delay);

    [LoggerMessage(1101, LogLevel.Warning, "Moving from server {From} to {To}: {Reason}")]
    public static partial void ServerSwitched(this ILogger log, string from, string to, string reason);

    [LoggerMessage(1102, LogLevel.Warning, "--advertise {Host} does not resolve to an address ({Error}); the server will use the agent's endpoint address for its tasks")]
    public static partial void AdvertiseUnresolved(this ILogger log, string host, string error);

    [LoggerMessage(1103, LogLevel.Warning, "Task ports {Overlap} lie in the kernel's ephemeral port range {Ephemeral} (net.ipv4.ip_local_port_range), where outgoing connections take their local ports; a task can find its port taken. Ports seen held are kept out of placement, but prefer --ports below the range (the default is 31000-32000)")]
    public static partial void PortsInEphemeralRange(this ILogger log, string overlap, string ephemeral);
}
