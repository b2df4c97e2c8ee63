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
        var start = LivenessSeed.ClockStart(seen, TermStart, TermStart, Grace);
        Assert.Equal(seen, start);
        Assert.Equal(TimeSpan.FromSeconds(18), start + Grace - TermStart); // 30 − 12, not a fresh 30
    }

    [Fact]
    public void AnAgentPastItsGraceIsLeftOnlyTheSettleWindow()
    {
        var start = LivenessSeed.ClockStart(TermStart - TimeSpan.FromMinutes(5), TermStart, TermStart, Grace);
        Assert.Equal(LivenessSeed.SettleWindow, start + Grace - TermStart);
    }

    [Fact]
    public void AnAgentJustInsideTheSettleWindowKeepsTheWindow()
    {
        // 27 s ago with 30 s of grace would leave 3 s: less than a live agent's heartbeat may need to find the new leader
        var start = LivenessSeed.ClockStart(TermStart - TimeSpan.FromSeconds(27), TermStart, TermStart, Grace);
        Assert.Equal(TermStart - Grace + LivenessSeed.SettleWindow, start);
    }

    [Fact]
    public void NothingStoredOrATimeAheadOfOurClockGivesAFreshGrace()
    {
        Assert.Equal(TermStart, LivenessSeed.ClockStart(null, TermStart, TermStart, Grace));
        Assert.Equal(TermStart, LivenessSeed.ClockStart(TermStart + TimeSpan.FromSeconds(3), TermStart, TermStart, Grace));
    }

    [Fact]
    public void AGraceShorterThanTheSettleWindowIsKeptWhole()
    {
        var grace = TimeSpan.FromSeconds(2);
        Assert.Equal(TermStart, LivenessSeed.ClockStart(TermStart - TimeSpan.FromMinutes(1), TermStart, TermStart, grace));
    }

    /// <summary>
    /// A single server down for a minute (or a long election): the agents could not be heard by anyone meanwhile. An agent
    /// alive until the end keeps its whole grace; one already silent 12 s before keeps 30 − 12, the outage not counted.
    /// CI caught the old arithmetic: after a slow restart every agent had only the 5 s window, and a restarting agent's
    /// tasks were replaced.
    /// </summary>
    [Fact]
    public void TheTimeNoLeaderWasListeningDoesNotCount()
    {
        var lastHeard = TermStart - TimeSpan.FromMinutes(1);
        Assert.Equal(TermStart, LivenessSeed.ClockStart(lastHeard, lastHeard, TermStart, Grace));
        var start = LivenessSeed.ClockStart(lastHeard - TimeSpan.FromSeconds(12), lastHeard, TermStart, Grace);
        Assert.Equal(TimeSpan.FromSeconds(18), start + Grace - TermStart);
        // silent for longer than the grace while a leader listened: the settle window only
        var dead = LivenessSeed.ClockStart(lastHeard - TimeSpan.FromMinutes(2), lastHeard, TermStart, Grace);
        Assert.Equal(LivenessSeed.SettleWindow, dead + Grace - TermStart);
    }
}
