namespace Drover.Scheduling.Tests;

public class ReconcilerBackoffTests
{
    private static Sim Cluster()
    {
        var sim = new Sim();
        sim.Agents.Add(F.Agent("a0"));
        sim.SetApp(F.App(instances: 2));
        return sim;
    }

    [Fact]
    public void Active_backoff_launches_nothing_and_shows_the_delay()
    {
        var sim = Cluster();
        sim.Backoffs["/web"] = new LaunchBackoff(3, 30, F.T0.AddSeconds(12.5), F.V1);
        var plan = sim.Plan();
        Assert.Empty(plan.Launches);
        var q = plan.Queue.Single();
        Assert.Equal(2, q.Count);
        Assert.Equal(12.5, q.TimeLeftSeconds, 6);
        Assert.False(q.Overdue);
        Assert.Equal(F.T0.AddSeconds(12.5), q.DelayUntil);
        Assert.Empty(plan.BackoffResets);
    }

    [Fact]
    public void Elapsed_backoff_launches()
    {
        var sim = Cluster();
        sim.Backoffs["/web"] = new LaunchBackoff(3, 30, F.T0, F.V1);
        var plan = sim.Plan();
        Assert.Equal(2, plan.Launches.Count);
        Assert.Empty(plan.Queue);
    }

    [Fact]
    public void Backoff_of_an_older_configuration_is_dropped()
    {
        var sim = Cluster();
        sim.Backoffs["/web"] = new LaunchBackoff(3, 30, F.T0.AddMinutes(1), F.V1);
        sim.SetApp(F.Changed(sim.Apps[0], F.T0.AddSeconds(-1)));
        var plan = sim.Plan();
        Assert.Equal(2, plan.Launches.Count);
        Assert.Equal(["/web"], plan.BackoffResets);
    }

    [Fact]
    public void Scaling_keeps_the_backoff()
    {
        var sim = Cluster();
        sim.Backoffs["/web"] = new LaunchBackoff(3, 30, F.T0.AddMinutes(1), F.V1);
        sim.SetApp(F.Scaled(sim.Apps[0], 5, F.T0.AddSeconds(-1)));
        var plan = sim.Plan();
        Assert.Empty(plan.Launches);
        Assert.Equal(5, plan.Queue.Single().Count);
    }

    [Fact]
    public void A_task_running_well_resets_the_backoff()
    {
        var sim = Cluster();
        sim.Tasks.Add(F.Task("t1", "/web", "a0", stagedAt: F.T0.AddMinutes(-1)));
        sim.Backoffs["/web"] = new LaunchBackoff(3, 30, F.T0.AddMinutes(1), F.V1);
        var plan = sim.Plan();
        Assert.Equal(["/web"], plan.BackoffResets);
        Assert.Single(plan.Launches);
    }

    [Fact]
    public void Kills_still_happen_during_backoff()
    {
        var sim = Cluster();
        for (var i = 0; i < 3; i++) sim.Tasks.Add(F.Task($"t{i}", "/web", "a0", state: Core.Cluster.TaskState.Staging, stagedAt: F.T0.AddHours(-3)));
        sim.Backoffs["/web"] = new LaunchBackoff(3, 30, F.T0.AddMinutes(1), F.V1);
        var plan = sim.Plan();
        Assert.Single(plan.Kills);
        Assert.Empty(plan.Queue);
    }
}
