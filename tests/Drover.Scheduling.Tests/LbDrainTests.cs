using Drover.Core.Apps;
using Drover.Core.Cluster;
using Drover.Core.Json;

namespace Drover.Scheduling.Tests;

/// <summary>Drain before kill, decided from state and a clock reading only.</summary>
public sealed class LbDrainTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(2);

    private static AppDefinition App(Dictionary<string, string>? labels = null) =>
        new() { Id = "/web", Version = "v1", Labels = labels ?? new Dictionary<string, string>() };

    private static readonly AppDefinition Balanced = App(new() { ["HAPROXY_GROUP"] = "external" });

    private static TaskRecord Running() => new()
    {
        Id = "web.instance-1._app.1", AppId = "/web", AgentId = "a1", Host = "h1", Version = "v1",
        StagedAt = MarathonTime.ToWire(T0), State = TaskState.Running,
    };

    private static LbInstanceView Lb(string id, long applied, DateTimeOffset lastSeen) => new(id, applied, lastSeen, Interval);

    [Fact]
    public void A_task_of_an_app_without_lb_labels_is_killed_at_once_even_with_lbs_registered()
    {
        var marked = LbDrain.MarkForKill(Running(), App(new() { ["OTHER"] = "x" }), [Lb("lb1", 0, T0)], T0);
        Assert.True(marked.KillRequested);
        Assert.False(marked.Draining);
        Assert.True(marked.KillReleased);
    }

    [Fact]
    public void Any_HAPROXY_label_holds_the_kill_while_an_lb_is_live()
    {
        var marked = LbDrain.MarkForKill(Running(), App(new() { ["HAPROXY_0_VHOST"] = "web.example" }), [Lb("lb1", 0, T0)], T0 + TimeSpan.FromSeconds(1));
        Assert.Equal((true, true, false), (marked.KillRequested, marked.Draining, marked.KillReleased));
        Assert.Equal(MarathonTime.ToWire(T0 + TimeSpan.FromSeconds(1)), marked.DrainStartedAt);
    }

    [Fact]
    public void No_live_lb_or_a_task_not_running_means_no_hold()
    {
        Assert.False(LbDrain.MarkForKill(Running(), Balanced, [], T0).Draining);
        // last heard 6 s ago = 3 intervals of 2 s: no longer counts
        Assert.False(LbDrain.MarkForKill(Running(), Balanced, [Lb("lb1", 0, T0)], T0 + TimeSpan.FromSeconds(6)).Draining);
        Assert.False(LbDrain.MarkForKill(Running() with { State = TaskState.Staging }, Balanced, [Lb("lb1", 0, T0)], T0).Draining);
        var already = Running() with { KillRequested = true };
        Assert.Same(already, LbDrain.MarkForKill(already, Balanced, [Lb("lb1", 0, T0)], T0));
    }

    [Fact]
    public void The_kill_waits_until_every_live_lb_applied_the_draining_record()
    {
        var draining = LbDrain.MarkForKill(Running(), Balanced, [Lb("lb1", 0, T0)], T0);
        const long drainIndex = 40;
        var now = T0 + TimeSpan.FromMilliseconds(300);

        var waiting = LbDrain.Decide(draining, drainIndex, Balanced, [Lb("lb1", 40, now), Lb("lb2", 39, now)], now);
        Assert.False(waiting.Releases);
        Assert.Equal(T0 + TimeSpan.FromSeconds(5), waiting.RecheckAt); // the drain timeout comes first
        var quiet = T0 - TimeSpan.FromSeconds(4); // lb2 last heard 4 s before: it stops counting at T0 + 2 s
        Assert.Equal(quiet + Interval * 3, LbDrain.Decide(draining, drainIndex, Balanced, [Lb("lb2", 39, quiet)], now).RecheckAt);

        var done = LbDrain.Decide(draining, drainIndex, Balanced, [Lb("lb1", 40, now), Lb("lb2", 41, now)], now);
        Assert.Equal(DrainRelease.Acknowledged, done.Release);
    }

    [Fact]
    public void An_lb_that_stopped_heartbeating_no_longer_holds_the_kill()
    {
        var patient = App(new() { ["HAPROXY_GROUP"] = "external", ["DROVER_LB_DRAIN_SECONDS"] = "60" });
        var draining = LbDrain.MarkForKill(Running(), patient, [Lb("lb1", 0, T0)], T0);
        var lbs = new[] { Lb("ok", 50, T0 + TimeSpan.FromSeconds(3)), Lb("stuck", 10, T0) };
        Assert.False(LbDrain.Decide(draining, 50, patient, lbs, T0 + TimeSpan.FromSeconds(5.9)).Releases);
        Assert.Equal(DrainRelease.Acknowledged, LbDrain.Decide(draining, 50, patient, lbs, T0 + TimeSpan.FromSeconds(6)).Release);
        Assert.Equal(DrainRelease.NoLoadBalancer, LbDrain.Decide(draining, 50, patient, [Lb("stuck", 10, T0)], T0 + TimeSpan.FromSeconds(6)).Release);
    }

    [Fact]
    public void The_drain_timeout_bounds_the_wait_default_5_s_or_the_label()
    {
        var lb = new[] { Lb("lb1", 0, T0 + TimeSpan.FromSeconds(100)) }; // live, never acknowledges
        var draining = LbDrain.MarkForKill(Running(), Balanced, lb, T0);
        Assert.Equal(T0 + TimeSpan.FromSeconds(5), LbDrain.Decide(draining, 9, Balanced, lb, T0 + TimeSpan.FromSeconds(4.9)).RecheckAt);
        Assert.Equal(DrainRelease.TimedOut, LbDrain.Decide(draining, 9, Balanced, lb, T0 + TimeSpan.FromSeconds(5)).Release);

        var patient = App(new() { ["HAPROXY_GROUP"] = "external", ["DROVER_LB_DRAIN_SECONDS"] = "30" });
        Assert.False(LbDrain.Decide(draining, 9, patient, lb, T0 + TimeSpan.FromSeconds(29)).Releases);
        Assert.Equal(DrainRelease.TimedOut, LbDrain.Decide(draining, 9, patient, lb, T0 + TimeSpan.FromSeconds(30)).Release);
    }

    [Fact]
    public void A_task_not_draining_is_released()
    {
        Assert.Equal(DrainRelease.Acknowledged, LbDrain.Decide(Running() with { KillRequested = true }, 1, Balanced, [], T0).Release);
    }
}
