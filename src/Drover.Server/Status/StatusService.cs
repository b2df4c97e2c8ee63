using Drover.Api.Status;
using Drover.Core.Cluster;
using Drover.Core.Hosting;
using Drover.Server.Http;
using Drover.Server.Leadership;
using Drover.Server.LoadBalancing;
using Drover.Server.Storage;
using Drover.State;

namespace Drover.Server.Status;

/// <summary>What <c>GET /v1/drover/status</c> and `drover status` show: versions, uptime, the store, the leader, agents by state, DNS and lbs.</summary>
public sealed class StatusService(
    IStateStore store, StoreWriteClock writes, IStoreHealth storeHealth, ILeadership leadership, ServerIdentity identity,
    ServerOptions options, LbRegistry lbs, DnsService.DnsHost dns, TimeProvider time)
{
    private static readonly TimeSpan EtcdAskTimeout = TimeSpan.FromSeconds(2);
    // the server's start, not this service's: it is built on the first status request
    private readonly DateTimeOffset _startedAt = identity.StartedAt;

    public async Task<DroverStatus> ReadAsync(CancellationToken ct)
    {
        var s = store.Current;
        var now = time.GetUtcNow();
        var version = BuildVersion.Of(typeof(StatusService).Assembly);
        var agents = s.All(Schema.Agents).ToList();
        var dnsServer = dns.Server;
        return new DroverStatus
        {
            Version = version.Version,
            Commit = version.Commit,
            MarathonVersion = InfoEndpoints.MarathonVersion,
            Server = identity.AdvertisedHostPort,
            StartedAt = _startedAt,
            UptimeSeconds = Math.Round((now - _startedAt).TotalSeconds, 1),
            Leader = leadership.Leader,
            IsLeader = leadership.IsLeader,
            NoLeaderCause = leadership.Leader is null ? leadership.NoLeaderCause : null,
            Store = new StoreStatus
            {
                Kind = Kind(),
                Location = Location(),
                SizeBytes = await SizeAsync(ct).ConfigureAwait(false),
                Index = s.Index,
                LastWriteAt = writes.LastWriteAt,
                Stale = storeHealth.IsStale,
                StaleCause = storeHealth.StaleCause,
            },
            Agents = new AgentCounts(agents.Count,
                agents.Count(a => a.Status == AgentStatus.Active),
                agents.Count(a => a.Status == AgentStatus.Draining),
                agents.Count(a => a.Status == AgentStatus.Unreachable)),
            Apps = s.All(Schema.Apps).Count(),
            Tasks = s.All(Schema.Tasks).Count(),
            Deployments = s.All(Schema.Deployments).Count(),
            Dns = dnsServer is null ? null : new DnsStatus(dnsServer.UdpEndpoint.ToString(), dnsServer.TcpEndpoint.ToString(), options.DnsDomain),
            Lbs = lbs.List().Instances,
        };
    }

    private string Kind() => store switch { EtcdStore => "etcd", SqliteStateStore => "sqlite", _ => "memory" };

    private string? Location() => store switch
    {
        EtcdStore => options.Etcd + " " + options.EtcdPrefix,
        SqliteStateStore sqlite => sqlite.Path,
        _ => null,
    };

    private async Task<long?> SizeAsync(CancellationToken ct)
    {
        switch (store)
        {
            case SqliteStateStore sqlite:
                return new[] { sqlite.Path, sqlite.Path + "-wal" }.Where(File.Exists).Sum(f => new FileInfo(f).Length);
            case EtcdStore etcd:
                using (var cts = CancellationTokenSource.CreateLinkedTokenSource(ct))
                {
                    cts.CancelAfter(EtcdAskTimeout);
                    try
                    {
                        return (await etcd.Client.StatusAsync(cts.Token).ConfigureAwait(false)).DbSize;
                    }
                    catch (Exception e) when (e is HttpRequestException or OperationCanceledException or State.Etcd.Client.EtcdException && !ct.IsCancellationRequested)
                    {
                        return null; // etcd unreachable: the rest of the status still says so (stale)
                    }
                }
            default:
                return null;
        }
    }
}
