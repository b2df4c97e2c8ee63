using Drover.Agent.Tests.Infrastructure;
using Drover.Api.LoadBalancing;
using Drover.Server.LoadBalancing;

namespace Drover.Server.Tests;

/// <summary>A new leader knows no lb until each heartbeats it: kills the old leader was draining wait for that.</summary>
public sealed class LbRegistryGraceTests
{
    [Fact]
    public void A_new_term_waits_two_heartbeat_intervals_for_lbs_or_until_one_registers()
    {
        var time = new ManualTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var lbs = new LbRegistry(new ServerOptions { LbHeartbeatInterval = TimeSpan.FromSeconds(2) }, time);
        Assert.False(lbs.AwaitingRegistrations(time.GetUtcNow())); // no term started: no lb means no lb

        lbs.StartGracePeriod();
        Assert.True(lbs.AwaitingRegistrations(time.GetUtcNow()));
        time.Advance(TimeSpan.FromSeconds(3.9));
        Assert.True(lbs.AwaitingRegistrations(time.GetUtcNow()));
        time.Advance(TimeSpan.FromSeconds(0.2));
        Assert.False(lbs.AwaitingRegistrations(time.GetUtcNow())); // nobody came: kills go ahead undrained

        lbs.StartGracePeriod();
        lbs.Heartbeat("lb-1", new LbHeartbeat { AppliedIndex = 7 });
        Assert.False(lbs.AwaitingRegistrations(time.GetUtcNow())); // an lb is back: its acknowledgements decide
    }
}
