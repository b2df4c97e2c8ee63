using Microsoft.Extensions.Logging;

namespace Drover.Agent;

internal static partial class AgentLog
{
    // Log shipping (5xxx)
    [LoggerMessage(5000, LogLevel.Information, "Shipping task logs to {Target} (buffer {Capacity} lines, the newest dropped when full)")]
    public static partial void LogShipStarted(this ILogger log, string target, int capacity);

    [LoggerMessage(5001, LogLevel.Warning, "Shipping logs to {Target} failed: {Error}; retrying in {Delay} (lines are buffered, then dropped and counted)")]
    public static partial void LogShipFailed(this ILogger log, string target, string error, TimeSpan delay);

    [LoggerMessage(5002, LogLevel.Information, "Shipping logs to {Target} again")]
    public static partial void LogShipRecovered(this ILogger log, string target);

    [LoggerMessage(5003, LogLevel.Warning, "Cannot read {Path} to ship it: {Error}")]
    public static partial void LogShipReadFailed(this ILogger log, string path, string error);

    [LoggerMessage(5004, LogLevel.Warning, "Following the container log of task {TaskId} to ship it broke off: {Error}; reconnecting while the container runs")]
    public static partial void LogShipStreamBroke(this ILogger log, string taskId, string error);

    [LoggerMessage(5005, LogLevel.Warning, "The log shipping positions in {Path} cannot be read ({Error}); starting afresh: running tasks are shipped from their current end")]
    public static partial void LogShipRegistryUnreadable(this ILogger log, string path, string error);

    [LoggerMessage(5006, LogLevel.Warning, "Cannot write the log shipping positions to {Path}: {Error}; trying again in a second")]
    public static partial void LogShipRegistryWriteFailed(this ILogger log, string path, string error);

    // Information, not a warning: every agent's first start with --log-ship has no positions yet
    [LoggerMessage(5007, LogLevel.Information, "No log shipping positions in {Path} yet; running tasks are shipped from their current end")]
    public static partial void LogShipRegistryMissing(this ILogger log, string path);

    [LoggerMessage(5008, LogLevel.Warning, "Log shipping lost {Bytes} bytes{More} of task {TaskId}'s {Stream}: {Why} before the agent read them (counted in drover_agent_log_bytes_lost_total)")]
    public static partial void LogShipBytesLost(this ILogger log, string taskId, string stream, long bytes, string more, string why);
}
