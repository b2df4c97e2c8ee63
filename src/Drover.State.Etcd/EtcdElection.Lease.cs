using Drover.State.Etcd.Client;

namespace Drover.State.Etcd;

public sealed partial class EtcdElection
{
    private async Task<long> EnsureLeaseAsync(CancellationToken ct)
    {
        var lease = Interlocked.Read(ref _leaseId);
        if (lease != 0) return lease;
        var granted = await _client.LeaseGrantAsync((long)Math.Ceiling(_ttl.TotalSeconds), ct).ConfigureAwait(false);
        if (granted.Id == 0) throw new EtcdException($"etcd granted no lease: {granted.Error}");
        Interlocked.Exchange(ref _leaseId, granted.Id);
        await _keepAlive.ConfigureAwait(false); // the previous lease's loop has ended (it ends when its lease is gone)
        _keepAlive = Task.Run(() => KeepAliveLoopAsync(granted.Id, _stop.Token));
        return granted.Id;
    }

    /// <summary>
    /// Renews the lease every third of its TTL (etcd's clientv3 does the same). When etcd says the lease is gone, or
    /// no renewal got through for a whole TTL (it has surely expired), this term ends here too.
    /// </summary>
    private async Task KeepAliveLoopAsync(long lease, CancellationToken ct)
    {
        var every = _ttl / 3;
        var lastRenewed = _time.GetUtcNow();
        while (!ct.IsCancellationRequested && Interlocked.Read(ref _leaseId) == lease)
        {
            try
            {
                await Task.Delay(every, _time, ct).ConfigureAwait(false);
                var answer = await _client.LeaseKeepAliveAsync(lease, ct).ConfigureAwait(false);
                if (answer.Ttl > 0)
                {
                    lastRenewed = _time.GetUtcNow();
                    continue;
                }
                LoseLease(lease);
                return;
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (EtcdException ex)
            {
                if (_time.GetUtcNow() - lastRenewed >= _ttl)
                {
                    LoseLease(lease);
                    return;
                }
                EtcdLog.ElectionRetry(_log, Key, Candidate, every.TotalMilliseconds, ex);
            }
        }
    }

    private void LoseLease(long lease)
    {
        if (Interlocked.CompareExchange(ref _leaseId, 0, lease) != lease) return; // an older lease: this term has its own
        if (IsLeader) EtcdLog.LeaseLost(_log, Key, Candidate);
        EndTerm();
    }
}
