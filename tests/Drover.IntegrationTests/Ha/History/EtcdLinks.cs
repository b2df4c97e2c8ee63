using Drover.IntegrationTests.Harness;
using Drover.State.Tests.Etcd;

namespace Drover.IntegrationTests.Ha.History;

/// <summary>
/// The links from each Drover server to each etcd member, each through its own <see cref="FaultProxy"/>: server i is
/// started with <c>--etcd</c> naming its own proxies (<see cref="Endpoints"/>), so a nemesis can cut any subset of one
/// server's links while the other servers, and the etcd members among themselves, still talk.
/// </summary>
internal sealed class EtcdLinks : IAsyncDisposable
{
    private readonly FaultProxy[][] _proxies;

    private EtcdLinks(FaultProxy[][] proxies) => _proxies = proxies;

    public static EtcdLinks Start(EtcdCluster etcd, int servers)
    {
        var proxies = new List<FaultProxy[]>();
        try
        {
            for (var s = 0; s < servers; s++)
            {
                var row = new List<FaultProxy>();
                proxies.Add([]); // so a failure below still disposes what this row started
                for (var m = 0; m < etcd.Size; m++)
                {
                    row.Add(FaultProxy.Start(etcd.ClientUrl(m)));
                    proxies[s] = [.. row];
                }
            }
            return new EtcdLinks([.. proxies]);
        }
        catch
        {
            foreach (var p in proxies.SelectMany(r => r)) p.DisposeAsync().AsTask().GetAwaiter().GetResult();
            throw;
        }
    }

    /// <summary>Server <paramref name="server"/>'s <c>--etcd</c> value: its own proxy to every member.</summary>
    public string Endpoints(int server) => string.Join(",", _proxies[server].Select(p => p.Url().ToString().TrimEnd('/')));

    /// <summary>Cuts server <paramref name="server"/>'s links to <paramref name="members"/>.</summary>
    public void Cut(int server, IEnumerable<int> members, LinkFault fault)
    {
        foreach (var m in members) _proxies[server][m].Cut(fault);
    }

    public void Heal(int server)
    {
        foreach (var p in _proxies[server]) p.Heal();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var p in _proxies.SelectMany(r => r)) await p.DisposeAsync();
    }
}
