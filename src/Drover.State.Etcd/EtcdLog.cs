using Microsoft.Extensions.Logging;

namespace Drover.State.Etcd;

internal static partial class EtcdLog
{
    [LoggerMessage(1, LogLevel.Warning, "etcd watch on {Prefix} broke at revision {Revision}; resuming in {DelayMs} ms")]
    public static partial void WatchBroken(ILogger logger, string prefix, long revision, double delayMs, Exception exception);

    [LoggerMessage(2, LogLevel.Warning, "etcd watch on {Prefix}: revision {Revision} was compacted; reloading the whole prefix")]
    public static partial void WatchCompacted(ILogger logger, string prefix, long revision);

    [LoggerMessage(3, LogLevel.Information, "etcd store {Prefix} reloaded at revision {Revision} ({Keys} keys)")]
    public static partial void Reloaded(ILogger logger, string prefix, long revision, int keys);

    [LoggerMessage(4, LogLevel.Warning, "etcd key {Key} under {Prefix} is not <collection>/<key>; ignored")]
    public static partial void ForeignKey(ILogger logger, string prefix, string key);

    [LoggerMessage(5, LogLevel.Information, "etcd compacted to revision {Revision}")]
    public static partial void Compacted(ILogger logger, long revision);

    [LoggerMessage(6, LogLevel.Warning, "etcd compaction failed")]
    public static partial void CompactionFailed(ILogger logger, Exception exception);

    [LoggerMessage(7, LogLevel.Information, "election {Key}: {Me} is leader (create revision {Revision})")]
    public static partial void Elected(ILogger logger, string key, string me, long revision);

    [LoggerMessage(8, LogLevel.Warning, "election {Key}: {Me} lost its lease; no longer leader")]
    public static partial void LeaseLost(ILogger logger, string key, string me);

    [LoggerMessage(9, LogLevel.Warning, "election {Key}: {Me} could not reach etcd; retrying in {DelayMs} ms")]
    public static partial void ElectionRetry(ILogger logger, string key, string me, double delayMs, Exception exception);

    [LoggerMessage(10, LogLevel.Warning, "etcd watch on {Prefix} heard nothing for {Seconds:0.0} s while etcd holds revision {Newest} and this copy {Revision}; reopening it")]
    public static partial void WatchSilent(ILogger logger, string prefix, long revision, long newest, double seconds);
}
