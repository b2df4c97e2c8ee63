using Drover.Scheduling.Liveness;

namespace Drover.Scheduling.Tests;

public class HeartbeatRateTests
{
    private static readonly TimeSpan Second = TimeSpan.FromSeconds(1), Grace = TimeSpan.FromSeconds(10);

    [Theory]
    [InlineData(0, 1.0)]
    [InlineData(50, 1.0)] // up to Nomad's 50 a second, nothing changes
    [InlineData(100, 2.0)]
    [InlineData(1_000, 20.0)]
    [InlineData(10_000, 200.0)]
    public void The_interval_spreads_heartbeats_to_at_most_the_rate(int agents, double seconds) =>
        Assert.Equal(TimeSpan.FromSeconds(seconds), HeartbeatRate.Interval(agents, Second, HeartbeatRate.DefaultMaxPerSecond));

    [Theory]
    [InlineData(10, 10.0)]
    [InlineData(50, 10.0)]
    [InlineData(1_000, 48.0)] // 20 s interval: 19 s added, twice
    [InlineData(10_000, 408.0)]
    public void The_grace_grows_by_two_of_the_added_intervals(int agents, double seconds) =>
        Assert.Equal(TimeSpan.FromSeconds(seconds), HeartbeatRate.Grace(agents, Second, Grace, HeartbeatRate.DefaultMaxPerSecond));
}
