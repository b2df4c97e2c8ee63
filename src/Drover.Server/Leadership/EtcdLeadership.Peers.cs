using Drover.State.Etcd.Client;

namespace Drover.Server.Leadership;

public sealed partial class EtcdLeadership
{
    /// <summary>
    /// This server's entry under the peers prefix, attached to a lease it keeps alive: a server that dies disappears
    /// from /v1/status/peers once its lease expires (Consul's serf membership, in etcd terms).
    /// </summary>
    private async Task RegisterPeerAsync(CancellationToken ct)
    {
        var ttl = (long)Math.Ceiling(options.LeaderLeaseTtl.TotalSeconds);
        var lease = await store.Client.LeaseGrantAsync(ttl, ct).ConfigureAwait(false);
        if (lease.Id == 0) throw new EtcdException($"etcd granted no lease: {lease.Error}");
        var key = EtcdKeys.Utf8(PeersPrefix + identity.AdvertisedHostPort);
        await store.Client.PutAsync(new PutRequest(key, EtcdKeys.Utf8(identity.AdvertisedHostPort), lease.Id), ct).ConfigureAwait(false);
        try
        {
            while (true)
            {
                await Task.Delay(TimeSpan.FromSeconds(ttl) / 3, ct).ConfigureAwait(false);
                var answer = await store.Client.LeaseKeepAliveAsync(lease.Id, ct).ConfigureAwait(false);
                if (answer.Ttl <= 0) return; // expired: RetryingAsync registers again with a new lease
            }
        }
        finally
        {
            if (ct.IsCancellationRequested)
            {
                try
                {
                    using var quick = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                    await store.Client.LeaseRevokeAsync(lease.Id, quick.Token).ConfigureAwait(false);
                }
                catch (Exception e) when (e is EtcdException or OperationCanceledException or HttpRequestException)
                {
                    // expires on its own
                }
            }
        }
    }
}
