using Drover.Scheduling.Liveness;

namespace Drover.Scheduling.Tests;

public class LivenessSeedTests
{
    private static readonly DateTimeOffset TermStart = new(2026, 11, 30, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Grace = TimeSpan.FromSeconds(30);

    [Fact]
    public void AnAgentSeenRecentlyKeepsOnlyTheRestOfItsGrace()
    {
        var seen = TermStart - TimeSpan.FromSeconds(12);
        var start = LivenessSeed.ClockStart(seen, TermStart, Grace);
        Assert.Equal(seen, start);
        Assert.Equal(TimeSpan.FromSeconds(18), start + Grace - TermStart); // 30 − 12, not a fresh 30
    }

    [Fact]
    public void AnAgentPastItsGraceIsLeftOnlyTheSettleWindow()
    {
        var start = LivenessSeed.ClockStart(TermStart - TimeSpan.FromMinutes(5), TermStart, Grace);
        Assert.Equal(LivenessSeed.SettleWindow, start + Grace - TermStart);
    }

    [Fact]
    public void AnAgentJustInsideTheSettleWindowKeepsTheWindow()
    {
        // 27 s ago with 30 s of grace would leave 3 s: less than a live agent's heartbeat may need to find the new leader
        var start = LivenessSeed.ClockStart(TermStart - TimeSpan.FromSeconds(27), TermStart, Grace);
        Assert.Equal(TermStart - Grace + LivenessSeed.SettleWindow, start);
    }

    [Fact]
    public void NothingStoredOrATimeAheadOfOurClockGivesAFreshGrace()
    {
        Assert.Equal(TermStart, LivenessSeed.ClockStart(null, TermStart, Grace));
        Assert.Equal(TermStart, LivenessSeed.ClockStart(TermStart + TimeSpan.FromSeconds(3), TermStart, Grace));
    }

    [Fact]
    public void AGraceShorterThanTheSettleWindowIsKeptWhole()
    {
        var grace = TimeSpan.FromSeconds(2);
        Assert.Equal(TermStart, LivenessSeed.ClockStart(TermStart - TimeSpan.FromMinutes(1), TermStart, grace));
    }
}
