using Drover.Server.Agents;
using Drover.Server.Http;
using Drover.State.Etcd;
using Drover.State.Etcd.Client;
using Microsoft.Extensions.Hosting;

namespace Drover.Server.Leadership;

/// <summary>
/// Leadership among the servers sharing one etcd prefix, on <see cref="EtcdElection"/>: campaigns until elected,
/// fences the store's writes with the term while leading, observes who leads otherwise, and registers this server
/// under a lease so /v1/status/peers lists the live ones.
/// </summary>
public sealed partial class EtcdLeadership(EtcdStore store, ServerIdentity identity, ServerOptions options, AgentLiveness liveness, LeadershipLog log,
    Storage.IStoreHealth health)
    : BackgroundService, ILeadership
{
    /// <summary>Beside the state prefix, not under it: the store loads everything under its prefix as documents.</summary>
    private readonly string _metaPrefix = options.EtcdPrefix.TrimEnd('/') + "-meta/";
    private readonly object _gate = new();
    private TaskCompletionSource<CancellationToken> _term = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile EtcdElection? _election;
    private volatile string? _leader;
    private volatile string? _noLeaderCause = "no election result yet (this server is starting)";
    private volatile bool _isLeader;

    public bool IsLeader => _isLeader;

    /// <summary>
    /// Without an etcd quorum nobody can be confirmed as leader (the leader key's lease cannot even expire), so none
    /// is named: /v2/leader answers 404 and writes get the store's cause.
    /// </summary>
    public string? Leader => health.IsStale ? null : _isLeader ? identity.AdvertisedHostPort : _leader;

    public string? NoLeaderCause => health.StaleCause is { } stale ? Storage.IStoreHealth.NoQuorum(stale)
        : Leader is null ? _noLeaderCause ?? "the leader's lease expired and no server has been elected yet" : null;

    public event Action? TermStarted;

    private string LeaderKey => _metaPrefix + "leader";

    private string PeersPrefix => _metaPrefix + "servers/";

    public Task<CancellationToken> WaitForTermAsync(CancellationToken ct)
    {
        lock (_gate) return _term.Task.WaitAsync(ct);
    }

    public async Task<bool> AbdicateAsync(CancellationToken ct)
    {
        if (!_isLeader || _election is not { } election) return false;
        await election.ResignAsync(ct).ConfigureAwait(false);
        return true;
    }

    public async Task<IReadOnlyList<string>> PeersAsync(CancellationToken ct)
    {
        var prefix = EtcdKeys.Utf8(PeersPrefix);
        var range = await store.Client.RangeAsync(new RangeRequest(prefix, EtcdKeys.PrefixEnd(prefix)), ct).ConfigureAwait(false);
        return (range.Kvs ?? []).Select(kv => System.Text.Encoding.UTF8.GetString(kv.Value ?? [])).Order(StringComparer.Ordinal).ToList();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Until elected, this server's store refuses every write: a follower that forgot to forward cannot write unfenced.
        store.Inner.WriteGuard = new EtcdWriteGuard(LeaderKey, -1);
        await identity.Bound.WaitAsync(stoppingToken).ConfigureAwait(false);
        var election = new EtcdElection(store.Client, LeaderKey, identity.AdvertisedHostPort, options.LeaderLeaseTtl);
        _election = election;
        try
        {
            await Task.WhenAll(
                RetryingAsync("observing the leader", ObserveAsync, stoppingToken),
                RetryingAsync("campaigning", ct => CampaignAsync(election, ct), stoppingToken),
                RetryingAsync("registering as a peer", RegisterPeerAsync, stoppingToken)).ConfigureAwait(false);
        }
        finally
        {
            _isLeader = false;
            // Shutting down: hand over at once rather than making the others wait out the lease (as Consul's leave).
            try
            {
                using var quick = new CancellationTokenSource(TimeSpan.FromSeconds(3));
                if (election.IsLeader) await election.ResignAsync(quick.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is EtcdException or OperationCanceledException or HttpRequestException)
            {
                // the lease expires on its own
            }
            await election.DisposeAsync().ConfigureAwait(false);
        }
    }

    private async Task CampaignAsync(EtcdElection election, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            await election.CampaignAsync(ct).ConfigureAwait(false);
            var term = election.Term;
            var termToken = election.Leadership;
            if (term == 0 || termToken.IsCancellationRequested) continue; // lost before it began
            store.Inner.WriteGuard = new EtcdWriteGuard(LeaderKey, term);
            // Act only on a store that has seen everything up to this election: the previous leader's last writes.
            // The leader key lives outside the state prefix, so the store's index need not ever reach the term's
            // revision: wait for the newest state revision at or before it instead. Every batch that changed the state
            // stamped its collections (deletes too), so the newest stamp is that revision; a store written before the
            // stamps existed has none, and the whole prefix is read instead. (Writes decided on a copy that still lags
            // would fail their read preconditions and be decided again; waiting here spares them that.)
            var needed = await NewestStateRevisionAsync(options.EtcdPrefix + State.ChangeMarkers.Collection + "/", term, ct).ConfigureAwait(false);
            if (needed == 0) needed = await NewestStateRevisionAsync(options.EtcdPrefix, term, ct).ConfigureAwait(false);
            using (var caughtUp = CancellationTokenSource.CreateLinkedTokenSource(ct, termToken))
            {
                if (store.Current.Index < needed)
                    await foreach (var _ in store.WatchAsync(needed - 1, caughtUp.Token).ConfigureAwait(false)) break;
            }
            liveness.StartTerm(store.Current); // each agent keeps what its grace had left
            TermStarted?.Invoke();
            _isLeader = true;
            _leader = identity.AdvertisedHostPort;
            log.Elected(identity.AdvertisedHostPort, term);
            lock (_gate) _term.TrySetResult(termToken);
            try
            {
                using var either = CancellationTokenSource.CreateLinkedTokenSource(ct, termToken);
                await Task.Delay(Timeout.Infinite, either.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (termToken.IsCancellationRequested && !ct.IsCancellationRequested)
            {
                // the term ended: resigned, or the lease was lost
            }
            finally
            {
                _isLeader = false;
                store.Inner.WriteGuard = new EtcdWriteGuard(LeaderKey, -1);
                lock (_gate) _term = new TaskCompletionSource<CancellationToken>(TaskCreationOptions.RunContinuationsAsynchronously);
            }
            log.TermEnded(identity.AdvertisedHostPort, term);
        }
    }

    private async Task ObserveAsync(CancellationToken ct)
    {
        if (_election is not { } election) return;
        await foreach (var leader in election.ObserveAsync(ct).ConfigureAwait(false))
        {
            _leader = leader?.Value;
            _noLeaderCause = leader is null ? "the leader's lease expired or it resigned, and no server has been elected yet" : null;
        }
    }

    private async Task RetryingAsync(string what, Func<CancellationToken, Task> loop, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await loop(ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is EtcdException or HttpRequestException or OperationCanceledException or IOException)
            {
                if (what == "observing the leader") _noLeaderCause = $"etcd cannot tell who leads: {e.Message}";
                log.LoopFailed(what, e.Message);
                try
                {
                    await Task.Delay(TimeSpan.FromSeconds(1), ct).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    private async Task<long> NewestStateRevisionAsync(string prefix, long atRevision, CancellationToken ct)
    {
        var key = EtcdKeys.Utf8(prefix);
        var range = await store.Client.RangeAsync(new RangeRequest(key, EtcdKeys.PrefixEnd(key), Revision: atRevision), ct).ConfigureAwait(false);
        return (range.Kvs ?? []).Select(kv => kv.ModRevision).DefaultIfEmpty(0).Max();
    }
}
