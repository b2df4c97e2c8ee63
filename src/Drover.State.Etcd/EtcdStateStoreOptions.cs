namespace Drover.State.Etcd;

public sealed record EtcdStateStoreOptions
{
    /// <summary>Every key lives under <c>&lt;Prefix&gt;&lt;collection&gt;/&lt;key&gt;</c>.</summary>
    public string Prefix { get; init; } = "/drover/";

    /// <summary>Compaction keeps at least this many revisions …</summary>
    public long CompactionKeepRevisions { get; init; } = 10_000;

    /// <summary>… and every revision younger than this, whichever keeps more (a watcher that fell behind can resume).</summary>
    public TimeSpan CompactionKeepAge { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Opt-in: how often to compact automatically (null = never; only the leader should, once there is one).</summary>
    public TimeSpan? CompactionInterval { get; init; }

    /// <summary>How long read-your-writes waits for the watch to deliver an acknowledged write before giving up.</summary>
    public TimeSpan CatchUpTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long the watch may stay silent before the store asks etcd whether it missed a write (null = never). A
    /// stream on a link that went dead without closing (a NAT or firewall dropping it, a member frozen) delivers nothing
    /// and ends nothing: when etcd holds a newer Drover batch than this copy for two checks running while the stream
    /// delivered nothing, the stream is dropped and the watch resumes on a new connection from the last revision.
    /// </summary>
    public TimeSpan? WatchSilenceCheck { get; init; } = TimeSpan.FromSeconds(5);

    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;
}

/// <summary>An extra condition on every write: the key's create_revision must still be <paramref name="CreateRevision"/>.</summary>
/// <remarks>Leader election sets it to the leader key: a deposed leader's writes then fail instead of landing.</remarks>
public sealed record EtcdWriteGuard(string Key, long CreateRevision);

/// <summary>A write refused because the <see cref="EtcdWriteGuard"/> no longer held; nothing was written.</summary>
public sealed class FencedWriteException(EtcdWriteGuard guard, long actual)
    : Exception($"write fenced: '{guard.Key}' has create revision {actual} (0 = gone), "
        + (guard.CreateRevision < 0 ? "and this server holds no leadership (lost or given up); nothing was written"
            : $"this store writes only while it is {guard.CreateRevision}; another server has taken over; nothing was written"))
{
    public EtcdWriteGuard Guard { get; } = guard;
    public long Actual { get; } = actual;
}
