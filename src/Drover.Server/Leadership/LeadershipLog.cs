using Microsoft.Extensions.Logging;

namespace Drover.Server.Leadership;

public sealed partial class LeadershipLog(ILogger<LeadershipLog> logger)
{
    [LoggerMessage(1, LogLevel.Warning, "{Server} is the leader now (term {Term})")]
    public partial void Elected(string server, long term);

    [LoggerMessage(2, LogLevel.Warning, "{Server} is no longer the leader (term {Term} ended)")]
    public partial void TermEnded(string server, long term);

    [LoggerMessage(3, LogLevel.Warning, "leadership: {What} failed, retrying in 1 s: {Error}")]
    public partial void LoopFailed(string what, string error);

    [LoggerMessage(4, LogLevel.Information, "{Service} started: this server leads")]
    public partial void GatedStarted(string service);

    [LoggerMessage(5, LogLevel.Information, "{Service} stopped: this server no longer leads")]
    public partial void GatedStopped(string service);
}
