using Drover.Core.Apps;
using Drover.Core.Cluster;

namespace Drover.Scheduling.Tests;

public class ReadinessTests
{
    private static readonly ReadinessCheckDefinition Check = new() { PortName = "http" };

    private static ReadinessCheckResult Result(bool ready, string name = "readinessCheck") => new() { Name = name, TaskId = "t", Ready = ready };

    [Fact]
    public void A_current_task_of_an_app_with_readiness_checks_is_ready_only_when_every_check_is()
    {
        var app = F.App() with { ReadinessChecks = [Check] };
        var task = F.Task("t", "/web", "a0");

        Assert.True(TaskHealth.IsHealthy(task, app));
        Assert.False(TaskHealth.IsReady(task, app)); // not checked yet
        Assert.False(TaskHealth.IsReady(task with { ReadinessCheckResults = [Result(false)] }, app));
        Assert.True(TaskHealth.IsReady(task with { ReadinessCheckResults = [Result(true)] }, app));

        var two = app with { ReadinessChecks = [Check, Check with { Name = "second" }] };
        Assert.False(TaskHealth.IsReady(task with { ReadinessCheckResults = [Result(true)] }, two));
        Assert.False(TaskHealth.IsReady(task with { ReadinessCheckResults = [Result(true), Result(false, "second")] }, two));
        Assert.True(TaskHealth.IsReady(task with { ReadinessCheckResults = [Result(true), Result(true, "second")] }, two));
    }

    [Fact]
    public void Readiness_comes_on_top_of_health_and_only_gates_current_tasks()
    {
        var app = F.App() with { ReadinessChecks = [Check], HealthChecks = [new HealthCheckDefinition()] };
        var ready = new ReadinessCheckResult[] { Result(true) };
        Assert.False(TaskHealth.IsReady(F.Task("t", "/web", "a0", healthy: false) with { ReadinessCheckResults = ready }, app));
        Assert.False(TaskHealth.IsReady(F.Task("t", "/web", "a0", state: TaskState.Staging) with { ReadinessCheckResults = ready }, app));
        Assert.True(TaskHealth.IsReady(F.Task("t", "/web", "a0", healthy: true) with { ReadinessCheckResults = ready }, app));

        // A task of an older configuration: readiness no longer matters, only health.
        var v2 = F.Changed(app, F.T0);
        Assert.True(TaskHealth.IsReady(F.Task("old", "/web", "a0", healthy: true), v2));
        Assert.False(TaskHealth.IsReady(F.Task("old", "/web", "a0", healthy: false), v2));

        // Without readiness checks, ready = healthy.
        var plain = F.App();
        Assert.True(TaskHealth.IsReady(F.Task("t", "/web", "a0"), plain));
        Assert.False(TaskHealth.IsReady(F.Task("t", "/web", "a0", state: TaskState.Staging), plain));
    }

    [Fact]
    public void Upgrade_keeps_old_tasks_until_the_new_ones_are_ready()
    {
        var sim = new Sim { Ready = false };
        for (var i = 0; i < 4; i++) sim.Agents.Add(F.Agent($"a{i}"));
        var v1 = F.App(instances: 2) with { ReadinessChecks = [Check] };
        sim.Tasks.Add(F.Task("o1", "/web", "a0"));
        sim.Tasks.Add(F.Task("o2", "/web", "a1"));
        sim.SetApp(F.Changed(v1, F.T0));

        Assert.Equal(2, sim.Step().Launches.Count);
        for (var i = 0; i < 5; i++)
        {
            sim.Progress();
            var plan = sim.Step();
            Assert.Empty(plan.Kills);
            Assert.Empty(plan.Launches);
        }
        var fresh = sim.Tasks.Where(t => t.Version == sim.Apps[0].Version).ToList();
        Assert.Equal(2, fresh.Count);
        Assert.All(fresh, t => Assert.True(t.State == TaskState.Running && t.ReadinessCheckResults is [{ Ready: false }]));

        sim.Ready = true;
        sim.Progress();
        var replace = sim.Step();
        Assert.Equal(["o1", "o2"], replace.Kills.Select(k => k.TaskId).Order());
        Assert.All(replace.Kills, k => Assert.Equal(KillReason.OutdatedVersion, k.Reason));
    }

    [Fact]
    public void Half_health_replaces_the_second_half_only_once_the_first_new_half_is_ready()
    {
        var sim = new Sim { Ready = false };
        for (var i = 0; i < 6; i++) sim.Agents.Add(F.Agent($"a{i}"));
        var v1 = F.App(instances: 4) with
        {
            ReadinessChecks = [Check],
            UpgradeStrategy = new UpgradeStrategy { MinimumHealthCapacity = 0.5, MaximumOverCapacity = 0 },
        };
        for (var i = 0; i < 4; i++) sim.Tasks.Add(F.Task($"o{i}", "/web", $"a{i}"));
        sim.SetApp(F.Changed(v1, F.T0));

        Assert.Equal(2, sim.Step().Kills.Count);
        sim.Progress();
        Assert.Equal(2, sim.Step().Launches.Count);
        for (var i = 0; i < 5; i++)
        {
            sim.Progress();
            var plan = sim.Step();
            Assert.Empty(plan.Kills);
            Assert.Empty(plan.Launches);
        }
        Assert.Equal(2, sim.Tasks.Count(t => t.Version == v1.Version));

        sim.Ready = true;
        sim.Progress();
        Assert.Equal(2, sim.Step().Kills.Count(k => k.Reason == KillReason.OutdatedVersion));
    }
}
