using Drover.Agent.Tests.Infrastructure;
using Drover.Api.Agents;
using Drover.Core.Cluster;
using Drover.Server.Reconcile;

namespace Drover.Server.Tests;

/// <summary>Agents are asked to heartbeat less often as they grow in number (Nomad's max_heartbeats_per_second), and the grace grows with it.</summary>
public class HeartbeatRateTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 30, 12, 0, 0, TimeSpan.Zero);

    [Fact(Timeout = 60000)]
    public async Task More_agents_than_the_rate_heartbeat_less_often_and_get_a_longer_grace()
    {
        var time = new ManualTimeProvider(T0);
        // 1 a second for the test: 3 agents heartbeat every 3 s, and the 10 s grace grows by 2 × 2 s to 14 s
        await using var t = await TestServer.StartAsync(new ServerOptions { AgentTimeout = TimeSpan.FromSeconds(10), MaxHeartbeatsPerSecond = 1,
            LivenessFlushInterval = TimeSpan.FromHours(1) }, time);
        var first = await t.Client.RegisterAgentAsync(Registration("h0"));
        Assert.Equal(1000, first.HeartbeatIntervalMs);
        await t.RegisterAgentAsync("h1");
        var third = await t.Client.RegisterAgentAsync(Registration("h2"));
        Assert.Equal(3000, third.HeartbeatIntervalMs);
        // the first agent learns the new interval from its next heartbeat's answer
        Assert.Equal(3000, (await t.Client.HeartbeatAsync(first.AgentId, new AgentHeartbeat())).HeartbeatIntervalMs);

        var loop = (ReconcileLoop)t.Server.Services.GetService(typeof(ReconcileLoop))!;
        time.Advance(TimeSpan.FromSeconds(13));
        await loop.PassAsync(CancellationToken.None);
        Assert.Equal(AgentStatus.Active, t.Writer.Current.Get(Storage.Schema.Agents, first.AgentId)!.Status);

        time.Advance(TimeSpan.FromSeconds(2)); // 15 s of silence: past the 14 s grace
        await loop.PassAsync(CancellationToken.None);
        Assert.Equal(AgentStatus.Unreachable, t.Writer.Current.Get(Storage.Schema.Agents, first.AgentId)!.Status);
    }

    private static AgentRegistration Registration(string host) => new()
    {
        Hostname = host,
        Resources = new AgentResources { Cpus = 4, MemMb = 4096, DiskMb = 10000, Ports = [new PortRange(31000, 31100)] },
    };
}
