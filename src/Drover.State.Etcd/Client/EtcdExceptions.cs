namespace Drover.State.Etcd.Client;

/// <summary>etcd refused a request; <see cref="Message"/> is etcd's own cause (e.g. "etcdserver: no leader").</summary>
public class EtcdException(string message, int code = 0, Exception? inner = null) : Exception(message, inner)
{
    /// <summary>The gRPC status code etcd answered with (0 when the failure was not etcd's answer).</summary>
    public int Code { get; } = code;

    /// <summary>The revision asked for was compacted away: a watcher must reload from a fresh range.</summary>
    public bool IsCompacted => Message.Contains("required revision has been compacted", StringComparison.Ordinal);
}

/// <summary>
/// No endpoint could serve the request: connection refused, timed out or answered "unavailable" (no leader, lost
/// quorum). The message lists each endpoint with its failure.
/// </summary>
public sealed class EtcdUnavailableException(string message, Exception? inner = null, bool writeNotApplied = false) : EtcdException(message, 14, inner)
{
    /// <summary>
    /// A write that certainly reached no member's log: every endpoint refused the connection, or refused the write
    /// before applying it (no leader). A write that was sent and timed out never gets here (it is
    /// <see cref="EtcdOutcomeUnknownException"/>, or not retried), so this holds for every write that does.
    /// </summary>
    public bool WriteNotApplied { get; } = writeNotApplied;
}

/// <summary>
/// A write whose outcome is unknown: it was sent, but the answer never came (timeout, connection cut). It may or may
/// not have been applied, so it is not retried on another endpoint.
/// </summary>
public sealed class EtcdOutcomeUnknownException(string message, Exception? inner = null) : EtcdException(message, 4, inner);
