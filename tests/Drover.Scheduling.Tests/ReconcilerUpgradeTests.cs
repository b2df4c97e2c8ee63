using Drover.Core.Apps;
using Drover.Core.Cluster;
using Xunit.Abstractions;

namespace Drover.Scheduling.Tests;

public class ReconcilerUpgradeTests(ITestOutputHelper output)
{
    private const int Instances = 4;

    /// <summary>Runs an upgrade from V1 to V2 to completion, checking the strategy's bounds after every applied plan.</summary>
    private (int MaxExisting, int MinHealthy, List<string> Trace) Upgrade(double minHealth, double maxOver, bool healthChecks = true)
    {
        var sim = new Sim();
        for (var i = 0; i < 6; i++) sim.Agents.Add(F.Agent($"a{i}"));
        var v1 = F.App(instances: Instances) with
        {
            HealthChecks = healthChecks ? [new HealthCheckDefinition()] : [],
            UpgradeStrategy = new UpgradeStrategy { MinimumHealthCapacity = minHealth, MaximumOverCapacity = maxOver },
        };
        sim.SetApp(v1);
        sim.Step();
        sim.Progress();
        sim.Progress();
        Assert.Equal(Instances, sim.Of("/web").Count(t => TaskHealth.IsHealthy(t, v1)));

        sim.SetApp(F.Changed(v1, F.T0.AddMinutes(1)) with { Cmd = "new" });
        var v2 = sim.Apps[0].Version;
        var lowerHealthy = (int)Math.Ceiling(Instances * minHealth);
        var upperExisting = (int)Math.Floor(Instances * (1 + maxOver));
        if (lowerHealthy == upperExisting) upperExisting++;

        int maxExisting = 0, minHealthySeen = int.MaxValue;
        var trace = new List<string>();
        for (var step = 0; step < 40; step++)
        {
            var plan = sim.Step();
            var existing = sim.Tasks.Count;
            var healthy = sim.Tasks.Count(t => !t.KillRequested && t.State == TaskState.Running && (!healthChecks || t.HealthCheckResults.Any(r => r.Alive)));
            maxExisting = Math.Max(maxExisting, existing);
            minHealthySeen = Math.Min(minHealthySeen, healthy);
            trace.Add($"step {step}: +{plan.Launches.Count} -{plan.Kills.Count} existing={existing} healthy={healthy}");
            Assert.True(existing <= upperExisting, $"{existing} tasks exceed {upperExisting}\n{string.Join('\n', trace)}");
            Assert.True(healthy >= lowerHealthy, $"{healthy} healthy below {lowerHealthy}\n{string.Join('\n', trace)}");
            Assert.All(plan.Kills, k => Assert.Equal(KillReason.OutdatedVersion, k.Reason));
            Assert.All(plan.Launches, l => Assert.Equal(v2, l.Version));
            if (!plan.HasActions && sim.Tasks.Count == Instances && sim.Tasks.All(t => t.Version == v2 && t.State == TaskState.Running && (!healthChecks || t.HealthCheckResults.Count > 0)))
            {
                foreach (var line in trace) output.WriteLine(line);
                return (maxExisting, minHealthySeen, trace);
            }
            sim.Progress();
        }
        throw new Xunit.Sdk.XunitException("upgrade did not finish:\n" + string.Join('\n', trace));
    }

    [Fact]
    public void Full_capacity_strategy_starts_all_new_before_killing_old()
    {
        var (maxExisting, minHealthy, trace) = Upgrade(1, 1);
        Assert.Equal(2 * Instances, maxExisting);
        Assert.Equal(Instances, minHealthy);
        Assert.StartsWith("step 0: +4 -0", trace[0]);
    }

    [Fact]
    public void Half_health_no_overcapacity_replaces_half_at_a_time()
    {
        var (maxExisting, minHealthy, trace) = Upgrade(0.5, 0);
        Assert.Equal(Instances, maxExisting);
        Assert.Equal(2, minHealthy);
        Assert.StartsWith("step 0: +0 -2", trace[0]);
    }

    [Fact]
    public void Zero_zero_kills_all_old_first_then_launches()
    {
        var (maxExisting, minHealthy, trace) = Upgrade(0, 0);
        Assert.Equal(Instances, maxExisting);
        Assert.Equal(0, minHealthy);
        Assert.StartsWith("step 0: +0 -4", trace[0]);
        Assert.StartsWith("step 1: +4 -0", trace[1]);
    }

    [Fact]
    public void Full_health_no_overcapacity_moves_one_extra_at_a_time()
    {
        var (maxExisting, minHealthy, _) = Upgrade(1, 0);
        Assert.Equal(Instances + 1, maxExisting);
        Assert.Equal(Instances, minHealthy);
    }

    [Fact]
    public void Without_health_checks_running_counts_as_ready()
    {
        var (maxExisting, _, _) = Upgrade(1, 1, healthChecks: false);
        Assert.Equal(2 * Instances, maxExisting);
    }

    [Fact]
    public void Old_tasks_stay_while_new_ones_are_unhealthy()
    {
        var sim = new Sim();
        for (var i = 0; i < 4; i++) sim.Agents.Add(F.Agent($"a{i}"));
        var v1 = F.App(instances: 2) with { HealthChecks = [new HealthCheckDefinition()] };
        sim.Tasks.Add(F.Task("o1", "/web", "a0", healthy: true));
        sim.Tasks.Add(F.Task("o2", "/web", "a1", healthy: true));
        sim.SetApp(F.Changed(v1, F.T0));
        sim.Healthy = false;
        Assert.Equal(2, sim.Step().Launches.Count);
        for (var i = 0; i < 5; i++)
        {
            sim.Progress();
            var plan = sim.Step();
            Assert.Empty(plan.Kills);
            Assert.Empty(plan.Launches);
        }
        Assert.Equal(4, sim.Tasks.Count);
    }

    [Fact]
    public void Unhealthy_old_tasks_are_replaced_without_waiting()
    {
        var sim = new Sim();
        for (var i = 0; i < 4; i++) sim.Agents.Add(F.Agent($"a{i}"));
        var v1 = F.App(instances: 2) with { HealthChecks = [new HealthCheckDefinition()] };
        sim.Tasks.Add(F.Task("o1", "/web", "a0", healthy: true));
        sim.Tasks.Add(F.Task("o2", "/web", "a1", healthy: false));
        sim.SetApp(F.Changed(v1, F.T0));
        var plan = sim.Plan();
        Assert.Equal(["o2"], plan.Kills.Select(k => k.TaskId));
        Assert.Equal(2, plan.Launches.Count);
    }

    [Fact]
    public void Scale_only_version_is_not_an_upgrade()
    {
        var sim = new Sim();
        sim.Agents.Add(F.Agent("a0"));
        sim.Tasks.Add(F.Task("t1", "/web", "a0", stagedAt: F.T0.AddHours(-1.5)));
        sim.SetApp(F.Scaled(F.App(instances: 1), 2, F.T0.AddMinutes(-1)));
        var plan = sim.Plan();
        Assert.Empty(plan.Kills);
        Assert.Single(plan.Launches);
    }

    [Fact]
    public void Scale_down_during_upgrade_kills_surplus_new_tasks_as_over_capacity()
    {
        var sim = new Sim();
        for (var i = 0; i < 4; i++) sim.Agents.Add(F.Agent($"a{i}"));
        var v2 = F.Changed(F.App(instances: 1), F.T0.AddMinutes(-1));
        sim.SetApp(v2);
        sim.Tasks.Add(F.Task("old", "/web", "a0"));
        sim.Tasks.Add(F.Task("n1", "/web", "a1", version: v2.Version, stagedAt: F.T0.AddSeconds(-20)));
        sim.Tasks.Add(F.Task("n2", "/web", "a2", version: v2.Version, stagedAt: F.T0.AddSeconds(-10)));
        var plan = sim.Plan();
        Assert.Contains(plan.Kills, k => k.TaskId == "n2" && k.Reason == KillReason.OverCapacity);
        Assert.Contains(plan.Kills, k => k.TaskId == "old" && k.Reason == KillReason.OutdatedVersion);
        Assert.Empty(plan.Launches);
    }
}
