using Drover.State.Etcd.Client;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Drover.State.Etcd;

/// <summary>
/// An <see cref="IStateStore"/> on etcd: each document is the key <c>&lt;prefix&gt;&lt;collection&gt;/&lt;key&gt;</c>, the
/// index is etcd's revision (CreateIndex/ModifyIndex = create_revision/mod_revision, as Consul and Nomad expose their
/// raft indexes), and a batch is one etcd transaction. The whole prefix is kept in memory: loaded with one range at a
/// revision, then kept current by a watch from the next revision, so writes by other servers show up in
/// <see cref="Current"/> and <see cref="WatchAsync"/> too.
/// </summary>
public sealed partial class EtcdStateStore : IStateStore
{
    private readonly EtcdClient _client;
    private readonly EtcdStateStoreOptions _options;
    private readonly EtcdKeyLayout _layout;
    private readonly ILogger _log;
    private readonly SnapshotPublisher _publisher;
    private readonly SemaphoreSlim _writer = new(1, 1);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _watchLoop;
    private readonly Task _compactionLoop;
    private readonly Task _silenceLoop;
    private volatile bool _closed;

    private EtcdStateStore(EtcdClient client, EtcdStateStoreOptions options, ILogger log, StateSnapshot loaded)
    {
        _client = client;
        _options = options;
        _layout = new EtcdKeyLayout(options.Prefix);
        _log = log;
        _publisher = new SnapshotPublisher(loaded);
        _watchLoop = Task.Run(WatchLoopAsync);
        _compactionLoop = options.CompactionInterval is { } every ? Task.Run(() => CompactionLoopAsync(every)) : Task.CompletedTask;
        _silenceLoop = options.WatchSilenceCheck is { } check && check > TimeSpan.Zero ? Task.Run(() => SilenceLoopAsync(check)) : Task.CompletedTask;
    }

    /// <summary>Loads the prefix and starts watching it. The client stays the caller's (several stores may share one).</summary>
    public static async Task<EtcdStateStore> OpenAsync(EtcdClient client, EtcdStateStoreOptions? options = null, ILogger? logger = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        options ??= new EtcdStateStoreOptions();
        if (string.IsNullOrEmpty(options.Prefix)) throw new ArgumentException("the etcd key prefix must not be empty", nameof(options));
        var loaded = await LoadAsync(client, new EtcdKeyLayout(options.Prefix), logger ?? NullLogger.Instance, ct).ConfigureAwait(false);
        return new EtcdStateStore(client, options, logger ?? NullLogger.Instance, loaded);
    }

    public StateSnapshot Current => _publisher.Current;

    public string Prefix => _layout.Prefix;

    /// <summary>Extra condition on every write (leader fencing); null = none. Takes effect from the next batch.</summary>
    public EtcdWriteGuard? WriteGuard { get; set; }

    public IAsyncEnumerable<StateSnapshot> WatchAsync(long sinceIndex, CancellationToken ct = default) => _publisher.WatchAsync(sinceIndex, ct);

    /// <summary>Waits for an in-flight write, refuses new ones, stops the watch and ends every watcher. Idempotent.</summary>
    public async ValueTask DisposeAsync()
    {
        await _writer.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_closed) return;
            _closed = true;
        }
        finally
        {
            _writer.Release();
        }
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await Task.WhenAll(_watchLoop, _compactionLoop, _silenceLoop).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // stopping
        }
        _publisher.Complete();
        _stop.Dispose();
    }
}
