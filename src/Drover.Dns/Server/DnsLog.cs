using System.Net;
using Microsoft.Extensions.Logging;

namespace Drover.Dns.Server;

internal static partial class DnsLog
{
    [LoggerMessage(EventId = 5300, Level = LogLevel.Information,
        Message = "DNS listening on udp {Udp} and tcp {Tcp} for domain {Domain}; recursors: {Recursors}")]
    public static partial void Listening(ILogger logger, IPEndPoint udp, IPEndPoint tcp, string domain, string recursors);

    [LoggerMessage(EventId = 5301, Level = LogLevel.Debug,
        Message = "DNS record set {Serial} built from catalog index {Index}: {Names} names in {ElapsedMs} ms")]
    public static partial void Updated(ILogger logger, uint serial, long index, int names, long elapsedMs);

    [LoggerMessage(EventId = 5302, Level = LogLevel.Error,
        Message = "DNS record set rebuild from catalog index {Index} failed; still answering from serial {Serial}")]
    public static partial void RebuildFailed(ILogger logger, Exception exception, long index, uint serial);

    [LoggerMessage(EventId = 5303, Level = LogLevel.Information,
        Message = "Failover name {Alias} of service {Service} moved from tag {From} to {To}")]
    public static partial void FailoverMoved(ILogger logger, string alias, string service, string from, string to);

    [LoggerMessage(EventId = 5304, Level = LogLevel.Debug, Message = "DNS forward to {Recursor} failed: {Error}")]
    public static partial void ForwardFailed(ILogger logger, IPEndPoint recursor, string error);

    [LoggerMessage(EventId = 5305, Level = LogLevel.Warning,
        Message = "DNS forwarding saturated ({Max} queries in flight); answering SERVFAIL")]
    public static partial void ForwardSaturated(ILogger logger, int max);

    [LoggerMessage(EventId = 5306, Level = LogLevel.Warning,
        Message = "DNS TCP connection from {Remote} refused: {Max} connections open")]
    public static partial void TcpRejected(ILogger logger, string remote, int max);

    [LoggerMessage(EventId = 5307, Level = LogLevel.Debug, Message = "DNS {Transport} error: {Error}")]
    public static partial void TransportError(ILogger logger, string transport, string error);

    [LoggerMessage(EventId = 5308, Level = LogLevel.Warning, Message = "DNS recursor {Recursor} skipped: it is this server")]
    public static partial void RecursorIsSelf(ILogger logger, IPEndPoint recursor);
}
