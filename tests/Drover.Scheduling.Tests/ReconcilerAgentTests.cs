using Drover.Core.Apps;
using Drover.Core.Cluster;

namespace Drover.Scheduling.Tests;

public class ReconcilerAgentTests
{
    private static Sim Cluster(double inactiveAfter)
    {
        var sim = new Sim();
        for (var i = 0; i < 3; i++) sim.Agents.Add(F.Agent($"a{i}"));
        sim.SetApp(F.App(instances: 2) with { UnreachableStrategy = new UnreachableStrategy { InactiveAfterSeconds = inactiveAfter, ExpungeAfterSeconds = inactiveAfter } });
        sim.Tasks.Add(F.Task("t0", "/web", "a0", stagedAt: F.T0.AddMinutes(-30)));
        sim.Tasks.Add(F.Task("t1", "/web", "a1", stagedAt: F.T0.AddMinutes(-20)));
        return sim;
    }

    [Fact]
    public void Tasks_on_an_unreachable_agent_are_replaced_after_inactive_after_seconds()
    {
        var sim = Cluster(inactiveAfter: 300);
        sim.SetAgent("a1", a => a with { Status = AgentStatus.Unreachable, LastSeenAt = F.At(F.T0.AddSeconds(-60)) });
        var plan = sim.Plan();
        Assert.False(plan.HasActions);

        sim.Now = F.T0.AddSeconds(240);
        plan = sim.Plan();
        var launch = Assert.Single(plan.Launches);
        Assert.Equal("a2", launch.Placement.AgentId); // never the unreachable agent; a0 already runs one
        Assert.Empty(plan.Kills); // no kill can reach the agent
    }

    [Fact]
    public void Default_strategy_replaces_at_once()
    {
        var sim = Cluster(inactiveAfter: 0);
        sim.SetAgent("a1", a => a with { Status = AgentStatus.Unreachable });
        Assert.Single(sim.Plan().Launches);
    }

    [Fact]
    public void Tasks_on_a_vanished_agent_are_replaced()
    {
        var sim = Cluster(inactiveAfter: 300);
        sim.Agents.RemoveAll(a => a.Id == "a1");
        Assert.Single(sim.Plan().Launches);
    }

    [Fact]
    public void Returning_agent_surplus_is_killed_youngest_first()
    {
        var sim = Cluster(inactiveAfter: 0);
        sim.SetAgent("a1", a => a with { Status = AgentStatus.Unreachable });
        sim.Step();
        sim.Progress();
        Assert.Equal(3, sim.Tasks.Count);

        sim.SetAgent("a1", a => a with { Status = AgentStatus.Active, LastSeenAt = F.At(sim.Now) });
        var plan = sim.Plan();
        var kill = Assert.Single(plan.Kills);
        Assert.Equal(KillReason.DuplicateAfterReconnect, kill.Reason);
        Assert.Equal("Duplicate after reconnect", kill.Message);
        Assert.Equal(sim.Tasks[2].Id, kill.TaskId); // the replacement is the youngest
        Assert.Empty(plan.Launches);
        sim.Apply(plan);
        sim.Progress();
        Assert.False(sim.Plan().HasActions);
        Assert.Equal(2, sim.Tasks.Count);
    }

    [Fact]
    public void Returning_agent_surplus_prefers_tasks_that_are_not_running()
    {
        var sim = Cluster(inactiveAfter: 0);
        sim.SetAgent("a1", a => a with { Status = AgentStatus.Unreachable });
        sim.Step();
        sim.Progress();
        sim.SetAgent("a1", a => a with { Status = AgentStatus.Active });
        var i = sim.Tasks.FindIndex(t => t.Id == "t1");
        sim.Tasks[i] = sim.Tasks[i] with { State = TaskState.Unreachable };
        Assert.Equal("t1", sim.Plan().Kills.Single().TaskId);
    }

    [Fact]
    public void Tasks_on_unreachable_agents_are_never_scale_down_victims()
    {
        var sim = Cluster(inactiveAfter: 3600);
        sim.SetAgent("a1", a => a with { Status = AgentStatus.Unreachable });
        sim.SetApp(F.Scaled(sim.Apps[0], 1, F.T0));
        var plan = sim.Plan();
        Assert.Equal("t0", plan.Kills.Single().TaskId);
    }

    [Fact]
    public void Draining_agent_is_emptied_gracefully()
    {
        var sim = new Sim();
        for (var i = 0; i < 3; i++) sim.Agents.Add(F.Agent($"a{i}"));
        sim.SetApp(F.App(instances: 2));
        sim.Tasks.Add(F.Task("t0", "/web", "a0"));
        sim.Tasks.Add(F.Task("t1", "/web", "a1"));
        sim.SetAgent("a1", a => a with { Status = AgentStatus.Draining });

        var plan = sim.Step();
        Assert.Empty(plan.Kills); // default strategy: replacement first
        Assert.Equal("a2", plan.Launches.Single().Placement.AgentId);
        sim.Progress();
        plan = sim.Step();
        var kill = Assert.Single(plan.Kills);
        Assert.Equal(("t1", KillReason.AgentDraining), (kill.TaskId, kill.Reason));
        sim.Progress();
        Assert.False(sim.Plan().HasActions);
        Assert.DoesNotContain(sim.Tasks, t => t.AgentId == "a1");
    }
}
