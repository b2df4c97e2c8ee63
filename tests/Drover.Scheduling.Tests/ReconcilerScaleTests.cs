using Drover.Core.Apps;
using Drover.Core.Cluster;

namespace Drover.Scheduling.Tests;

public class ReconcilerScaleTests
{
    private static Sim Cluster(int agents = 3)
    {
        var sim = new Sim();
        for (var i = 0; i < agents; i++) sim.Agents.Add(F.Agent($"a{i}"));
        return sim;
    }

    [Fact]
    public void Launches_the_deficit_spread_across_agents()
    {
        var sim = Cluster();
        sim.SetApp(F.App(instances: 3));
        var plan = sim.Step();
        Assert.Equal(3, plan.Launches.Count);
        Assert.Equal(3, plan.Launches.Select(l => l.Placement.AgentId).Distinct().Count());
        Assert.All(plan.Launches, l => Assert.Equal(F.V1, l.Version));
        Assert.Empty(plan.Kills);
        Assert.Empty(plan.Queue);
    }

    [Fact]
    public void Staging_tasks_count_so_nothing_is_launched_twice()
    {
        var sim = Cluster();
        sim.SetApp(F.App(instances: 3));
        sim.Step();
        Assert.False(sim.Plan().HasActions);
        sim.Progress();
        Assert.False(sim.Plan().HasActions);
    }

    [Fact]
    public void Crashed_task_is_replaced()
    {
        var sim = Cluster();
        sim.SetApp(F.App(instances: 3));
        sim.Step();
        sim.Progress();
        sim.Tasks.RemoveAt(1); // terminal status removes the record
        var plan = sim.Plan();
        Assert.Single(plan.Launches);
        Assert.Empty(plan.Kills);
    }

    [Fact]
    public void Kill_requested_tasks_do_not_count()
    {
        var sim = Cluster();
        sim.SetApp(F.App(instances: 2));
        sim.Tasks.Add(F.Task("t1", "/web", "a0"));
        sim.Tasks.Add(F.Task("t2", "/web", "a1", killRequested: true));
        var plan = sim.Plan();
        Assert.Single(plan.Launches);
        Assert.Empty(plan.Kills);
    }

    [Theory]
    [InlineData(KillSelections.YoungestFirst, new[] { "t4", "t3" })]
    [InlineData(KillSelections.OldestFirst, new[] { "t1", "t2" })]
    public void Scale_down_kills_by_kill_selection(string selection, string[] expected)
    {
        var sim = Cluster();
        var app = F.App(instances: 4) with { KillSelection = selection };
        for (var i = 1; i <= 4; i++) sim.Tasks.Add(F.Task($"t{i}", "/web", $"a{i % 3}", stagedAt: F.T0.AddHours(-2).AddMinutes(i)));
        sim.SetApp(F.Scaled(app, 2, F.T0.AddMinutes(-5)));
        var plan = sim.Plan();
        Assert.Equal(expected, plan.Kills.Select(k => k.TaskId));
        Assert.All(plan.Kills, k => Assert.Equal(KillReason.ScaleDown, k.Reason));
        Assert.Equal("Scale down", plan.Kills[0].Message);
        Assert.Empty(plan.Launches);
    }

    [Fact]
    public void Scale_down_prefers_not_running_then_unhealthy_tasks()
    {
        var sim = Cluster();
        var app = F.App(instances: 4) with { HealthChecks = [new HealthCheckDefinition()] };
        var early = F.T0.AddHours(-2);
        sim.Tasks.Add(F.Task("old-healthy", "/web", "a0", stagedAt: early.AddMinutes(1), healthy: true));
        sim.Tasks.Add(F.Task("old-unhealthy", "/web", "a1", stagedAt: early.AddMinutes(2), healthy: false));
        sim.Tasks.Add(F.Task("staging", "/web", "a2", state: TaskState.Staging, stagedAt: early.AddMinutes(3)));
        sim.Tasks.Add(F.Task("young-healthy", "/web", "a0", stagedAt: early.AddMinutes(4), healthy: true));
        sim.SetApp(F.Scaled(app, 1, F.T0));
        Assert.Equal(["staging", "old-unhealthy", "young-healthy"], sim.Plan().Kills.Select(k => k.TaskId));
    }

    [Fact]
    public void Scale_to_zero_kills_everything()
    {
        var sim = Cluster();
        sim.Tasks.Add(F.Task("t1", "/web", "a0", stagedAt: F.T0.AddHours(-3)));
        sim.Tasks.Add(F.Task("t2", "/web", "a1", stagedAt: F.T0.AddHours(-3)));
        sim.SetApp(F.Scaled(F.App(instances: 2), 0, F.T0));
        Assert.Equal(2, sim.Plan().Kills.Count);
    }

    [Fact]
    public void Tasks_of_deleted_apps_are_killed_once()
    {
        var sim = Cluster();
        sim.SetApp(F.App("/keep", instances: 1));
        sim.Tasks.Add(F.Task("k1", "/keep", "a0"));
        sim.Tasks.Add(F.Task("g2", "/gone", "a1"));
        sim.Tasks.Add(F.Task("g1", "/gone", "a0"));
        sim.Tasks.Add(F.Task("g3", "/gone", "a2", killRequested: true));
        var plan = sim.Plan();
        Assert.Equal(["g1", "g2"], plan.Kills.Select(k => k.TaskId));
        Assert.All(plan.Kills, k => Assert.Equal(KillReason.AppDeleted, k.Reason));
        Assert.Empty(plan.Launches);
    }

    [Fact]
    public void Unplaceable_instances_are_queued_with_reasons()
    {
        var sim = Cluster(2);
        sim.SetApp(F.App(instances: 3, cpus: 3));
        var plan = sim.Plan();
        Assert.Equal(2, plan.Launches.Count);
        var q = plan.Queue.Single();
        Assert.Equal("/web", q.AppId);
        Assert.Equal(1, q.Count);
        Assert.True(q.Overdue);
        Assert.Equal(0, q.TimeLeftSeconds);
        Assert.Equal(new RejectReason(RejectReasons.InsufficientCpus, 2, 2), q.RejectSummary.Single());
        Assert.Equal(2, q.Processed);
    }

    [Fact]
    public void Launches_for_several_apps_share_capacity()
    {
        var sim = Cluster(1);
        sim.SetApp(F.App("/a", instances: 3, cpus: 1));
        sim.SetApp(F.App("/b", instances: 3, cpus: 1));
        var plan = sim.Plan();
        Assert.Equal(4, plan.Launches.Count);
        Assert.Equal(3, plan.Launches.Count(l => l.App.Id == "/a"));
        Assert.Equal(2, plan.Queue.Single(q => q.AppId == "/b").Count);
    }

    [Fact]
    public void Plans_are_deterministic()
    {
        var sim = Cluster(5);
        sim.SetApp(F.App("/a", instances: 7, cpus: 0.5));
        sim.SetApp(F.App("/b", instances: 2, constraints: [F.C("hostname", "UNIQUE")]));
        sim.Tasks.Add(F.Task("x", "/gone", "a3"));
        var input = sim.Input;
        var p1 = Reconciler.Plan(input);
        var shuffled = input with { Agents = input.Agents.Reverse().ToArray(), Apps = input.Apps.Reverse().ToArray() };
        var p2 = Reconciler.Plan(shuffled);
        Assert.Equal(p1.Launches.Select(l => (l.App.Id, l.Placement.AgentId, string.Join(",", l.Placement.HostPorts))),
            p2.Launches.Select(l => (l.App.Id, l.Placement.AgentId, string.Join(",", l.Placement.HostPorts))));
        Assert.Equal(p1.Kills, p2.Kills);
    }
}
