using System.Runtime.CompilerServices;
using Drover.State.Etcd.Client;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Drover.State.Etcd;

/// <summary>Who leads: the leader key's value and create_revision (the term that fences its writes).</summary>
public sealed record EtcdLeader(string Value, long CreateRevision);

/// <summary>
/// Leader election on an etcd lease, as etcd's own concurrency.Election does: the leader is whoever created
/// <see cref="Key"/>, attached to its lease; the key disappears when the lease is revoked or expires (its holder
/// stopped keeping it alive). The key's create_revision identifies the term: <see cref="Guard"/> makes a store's
/// writes conditional on it, so a deposed leader that has not noticed yet cannot write.
/// </summary>
public sealed partial class EtcdElection : IAsyncDisposable
{
    private readonly EtcdClient _client;
    private readonly byte[] _key;
    private readonly TimeSpan _ttl;
    private readonly ILogger _log;
    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _stop = new();
    private readonly object _gate = new();
    private Task _keepAlive = Task.CompletedTask;
    private long _leaseId;
    private long _term; // our key's create_revision while we lead, else 0
    private CancellationTokenSource _leadership = new();

    public EtcdElection(EtcdClient client, string key, string candidate, TimeSpan ttl, ILogger? logger = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentException.ThrowIfNullOrEmpty(key);
        ArgumentException.ThrowIfNullOrEmpty(candidate);
        if (ttl < TimeSpan.FromSeconds(1)) throw new ArgumentOutOfRangeException(nameof(ttl), ttl, "an etcd lease TTL is whole seconds, at least 1");
        _client = client;
        Key = key;
        _key = EtcdKeys.Utf8(key);
        Candidate = candidate;
        _ttl = ttl;
        _log = logger ?? NullLogger.Instance;
        _time = timeProvider ?? TimeProvider.System;
        _leadership.Cancel(); // not leading yet
    }

    public string Key { get; }

    public string Candidate { get; }

    public bool IsLeader => Interlocked.Read(ref _term) != 0;

    /// <summary>The create_revision of our leader key while we lead; 0 otherwise.</summary>
    public long Term => Interlocked.Read(ref _term);

    /// <summary>The fencing condition for this term (null when not leading): set it as the store's write guard.</summary>
    public EtcdWriteGuard? Guard => Term is var t and not 0 ? new EtcdWriteGuard(Key, t) : null;

    /// <summary>Cancelled when this term ends (resigned, lease lost, disposed); already cancelled when not leading.</summary>
    public CancellationToken Leadership
    {
        get
        {
            lock (_gate) return _leadership.Token;
        }
    }

    /// <summary>
    /// Becomes leader: returns once this candidate holds the key (at once when the key is free, else when the current
    /// holder resigns or its lease expires).
    /// </summary>
    public async Task CampaignAsync(CancellationToken ct = default)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, _stop.Token);
        var token = linked.Token;
        while (true)
        {
            token.ThrowIfCancellationRequested();
            if (IsLeader) return;
            var lease = await EnsureLeaseAsync(token).ConfigureAwait(false);
            var txn = await _client.TxnAsync(new TxnRequest(
                [EtcdCompare.CreateRevisionIs(_key, 0)],
                [new RequestOp(RequestPut: new PutRequest(_key, EtcdKeys.Utf8(Candidate), lease))],
                [new RequestOp(RequestRange: new RangeRequest(_key))]), token).ConfigureAwait(false);
            var revision = txn.Header?.Revision ?? 0;
            if (txn.Succeeded)
            {
                BecomeLeader(revision);
                return;
            }
            var holder = txn.Responses is [{ ResponseRange.Kvs: [var kv, ..] }, ..] ? kv : null;
            if (holder is { } h && h.Lease == lease)
            {
                BecomeLeader(h.CreateRevision); // ours already (an earlier attempt landed)
                return;
            }
            await WaitForDeleteAsync(revision + 1, token).ConfigureAwait(false);
        }
    }

    /// <summary>Ends this term at once: deletes the key if it is still ours and revokes the lease, so another candidate takes over without waiting for the TTL.</summary>
    public async Task ResignAsync(CancellationToken ct = default)
    {
        var term = Term;
        var lease = Interlocked.Exchange(ref _leaseId, 0);
        EndTerm();
        if (term != 0)
        {
            await _client.TxnAsync(new TxnRequest(
                [EtcdCompare.CreateRevisionIs(_key, term)], [new RequestOp(RequestDeleteRange: new DeleteRangeRequest(_key))], []), ct).ConfigureAwait(false);
        }
        if (lease != 0)
        {
            try
            {
                await _client.LeaseRevokeAsync(lease, ct).ConfigureAwait(false);
            }
            catch (EtcdException ex) when (ex.Message.Contains("lease not found", StringComparison.Ordinal))
            {
                // expired already
            }
        }
    }

    /// <summary>The current leader (null = none), then every change.</summary>
    public async IAsyncEnumerable<EtcdLeader?> ObserveAsync([EnumeratorCancellation] CancellationToken ct = default)
    {
        EtcdLeader? last = null;
        var first = true;
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            var range = await _client.RangeAsync(new RangeRequest(_key), ct).ConfigureAwait(false);
            var leader = range.Kvs is [var kv, ..] ? ToLeader(kv) : null;
            if (first || leader != last) yield return last = leader;
            first = false;
            var stream = _client.WatchAsync(new WatchCreateRequest(_key, StartRevision: (range.Header?.Revision ?? 0) + 1), ct);
            await foreach (var response in stream.ConfigureAwait(false))
            {
                if (response.Canceled) break;
                foreach (var e in response.Events ?? [])
                {
                    leader = e.Type == EventType.DELETE || e.Kv is null ? null : ToLeader(e.Kv);
                    if (leader != last) yield return last = leader;
                }
            }
        }
    }

    /// <summary>Stops keeping the lease alive, without resigning: the key expires after the TTL (as if this process died).</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await _keepAlive.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // stopping
        }
        EndTerm();
    }

    private static EtcdLeader ToLeader(EtcdKeyValue kv) => new(System.Text.Encoding.UTF8.GetString(kv.Value ?? []), kv.CreateRevision);

    private void BecomeLeader(long term)
    {
        lock (_gate)
        {
            Interlocked.Exchange(ref _term, term);
            _leadership = new CancellationTokenSource();
        }
        EtcdLog.Elected(_log, Key, Candidate, term);
    }

    private void EndTerm()
    {
        lock (_gate)
        {
            Interlocked.Exchange(ref _term, 0);
            _leadership.Cancel();
        }
    }

    private async Task WaitForDeleteAsync(long fromRevision, CancellationToken ct)
    {
        await foreach (var response in _client.WatchAsync(new WatchCreateRequest(_key, StartRevision: fromRevision), ct).ConfigureAwait(false))
        {
            if (response.Canceled) return;
            if (response.Events?.Any(e => e.Type == EventType.DELETE) == true) return;
        }
    }
}
