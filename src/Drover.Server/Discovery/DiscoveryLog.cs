using Microsoft.Extensions.Logging;

namespace Drover.Server.Discovery;

/// <summary>Log lines of discovery (catalog, Consul agent API, check runner), source-generated.</summary>
public sealed partial class DiscoveryLog(ILogger<DiscoveryLog> logger)
{
    [LoggerMessage(101, LogLevel.Information, "service {ServiceId} ({Name}) registered with {CheckCount} checks")]
    public partial void ServiceRegistered(string serviceId, string name, int checkCount);

    [LoggerMessage(102, LogLevel.Information, "service {ServiceId} deregistered: {Reason}")]
    public partial void ServiceDeregistered(string serviceId, string reason);

    [LoggerMessage(103, LogLevel.Information, "check {CheckId}: {From} -> {To} {Output}")]
    public partial void CheckStatusChanged(string checkId, string from, string to, string output);

    [LoggerMessage(104, LogLevel.Error, "check runner pass failed; retrying")]
    public partial void RunnerFailed(Exception ex);

    [LoggerMessage(105, LogLevel.Warning, "check {CheckId} could not run: {Message}")]
    public partial void CheckFailedToRun(string checkId, string message);
}
