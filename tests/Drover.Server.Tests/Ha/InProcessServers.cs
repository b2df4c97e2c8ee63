namespace Drover.Server.Tests.Ha;

/// <summary>Drover servers in this process on one etcd key prefix, on free loopback ports; all stopped on dispose.</summary>
internal sealed class InProcessServers : IAsyncDisposable
{
    /// <summary>The servers still running (a test that stops one itself removes it).</summary>
    public List<DroverServer> Servers { get; } = [];

    public static async Task<InProcessServers> StartAsync(string etcd, string prefix, int count, bool generateJoinToken = false)
    {
        var servers = new InProcessServers();
        try
        {
            for (var i = 0; i < count; i++) await servers.AddAsync(etcd, prefix, generateJoinToken);
        }
        catch
        {
            await servers.DisposeAsync(); // the ones already started
            throw;
        }
        return servers;
    }

    private async Task AddAsync(string etcd, string prefix, bool generateJoinToken)
    {
        var server = await DroverServer.CreateAsync(new ServerOptions
        {
            Listen = "127.0.0.1:0",
            Etcd = etcd,
            EtcdPrefix = prefix,
            LeaderLeaseTtl = TimeSpan.FromSeconds(2),
            GenerateJoinToken = generateJoinToken,
        }, logging: _ => { });
        Servers.Add(server);
        await server.StartAsync();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var s in Servers)
        {
            await s.StopAsync();
            await s.DisposeAsync();
        }
    }
}
