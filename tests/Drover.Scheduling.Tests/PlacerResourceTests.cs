using Drover.Core.Apps;
using Drover.Core.Cluster;

namespace Drover.Scheduling.Tests;

public class PlacerResourceTests
{
    [Fact]
    public void Spreads_instances_across_hosts()
    {
        var agents = new[] { F.Agent("a"), F.Agent("b"), F.Agent("c") };
        var r = F.Place(agents, new PlacementRequest(F.App(), 6));
        Assert.Empty(r.Unplaced);
        Assert.Equal(6, r.Placements.Count);
        Assert.All(r.CountByAgent().Values, n => Assert.Equal(2, n));
    }

    [Fact]
    public void Ties_break_by_agent_id_whatever_the_input_order()
    {
        var agents = new[] { F.Agent("c"), F.Agent("a"), F.Agent("b") };
        var r = F.Place(agents, new PlacementRequest(F.App(), 2));
        Assert.Equal(["a", "b"], r.Placements.Select(p => p.AgentId));
        Assert.Equal("a.example", r.Placements[0].Hostname);
    }

    [Fact]
    public void Prefers_fewest_tasks_of_the_app_then_least_loaded()
    {
        var agents = new[] { F.Agent("a", cpus: 8), F.Agent("b", cpus: 8), F.Agent("c", cpus: 8) };
        var tasks = new[]
        {
            F.Task("x1", "/other", "a", cpus: 4), // a is 50% loaded
            F.Task("w1", "/web", "b", cpus: 1),   // b already runs /web
        };
        var r = F.Place(agents, tasks, new PlacementRequest(F.App(), 3));
        // Round 0: agents without /web, least loaded first (c, then a). Round 1: b and c are both at 1/8 cpu, b wins on id.
        Assert.Equal(["c", "a", "b"], r.Placements.Select(p => p.AgentId));
    }

    [Fact]
    public void Least_loaded_uses_max_of_cpu_and_memory()
    {
        var agents = new[] { F.Agent("a", cpus: 10, mem: 1000), F.Agent("b", cpus: 10, mem: 1000) };
        var tasks = new[]
        {
            F.Task("x1", "/x", "a", cpus: 3, mem: 100), // max(30%, 10%) = 30%
            F.Task("y1", "/y", "b", cpus: 1, mem: 500), // max(10%, 50%) = 50%
        };
        var r = F.Place(agents, tasks, new PlacementRequest(F.App(cpus: 0.1, mem: 1), 1));
        Assert.Equal("a", r.Placements[0].AgentId);
    }

    [Theory]
    [InlineData(8, 128, 0, RejectReasons.InsufficientCpus)]
    [InlineData(1, 9000, 0, RejectReasons.InsufficientMemory)]
    [InlineData(1, 128, 20_000, RejectReasons.InsufficientDisk)]
    public void Reports_the_missing_resource(double cpus, double mem, double disk, string reason)
    {
        var agents = new[] { F.Agent("a"), F.Agent("b") };
        var r = F.Place(agents, new PlacementRequest(F.App(cpus: cpus, mem: mem, disk: disk), 2));
        var u = Assert.Single(r.Unplaced);
        Assert.Equal("/web", u.AppId);
        Assert.Equal(2, u.Count);
        Assert.Equal(2, u.Processed);
        var rr = Assert.Single(u.Reasons);
        Assert.Equal(new RejectReason(reason, 2, 2), rr);
    }

    [Fact]
    public void Exhausts_cpu_exactly_with_fractional_tasks()
    {
        var agents = new[] { F.Agent("a", cpus: 1, mem: 10_000) };
        var r = F.Place(agents, new PlacementRequest(F.App(cpus: 0.1, mem: 1, ports: 0), 11));
        Assert.Equal(10, r.Placements.Count);
        Assert.Equal(1, r.Unplaced.Single().Count);
        Assert.Equal(1, r.Unplaced.Single().Reason(RejectReasons.InsufficientCpus)!.Declined);
    }

    [Fact]
    public void Requests_in_one_call_account_for_each_other()
    {
        var agents = new[] { F.Agent("a", cpus: 2), F.Agent("b", cpus: 2) };
        var r = F.Place(agents,
            new PlacementRequest(F.App("/one", cpus: 1.5), 2),
            new PlacementRequest(F.App("/two", cpus: 1), 2));
        Assert.Equal(2, r.Placements.Count(p => p.AppId == "/one"));
        Assert.DoesNotContain(r.Placements, p => p.AppId == "/two");
        Assert.Equal(2, r.Unplaced.Single(u => u.AppId == "/two").Count);
    }

    [Fact]
    public void Same_app_in_two_requests_keeps_spreading()
    {
        var agents = new[] { F.Agent("a"), F.Agent("b") };
        var r = F.Place(agents, new PlacementRequest(F.App(), 1), new PlacementRequest(F.App(), 1));
        Assert.Equal(["a", "b"], r.Placements.Select(p => p.AgentId));
    }

    [Fact]
    public void Existing_tasks_consume_resources()
    {
        var agents = new[] { F.Agent("a", cpus: 2) };
        var tasks = new[] { F.Task("t1", "/other", "a", cpus: 1.5) };
        var r = F.Place(agents, tasks, new PlacementRequest(F.App(cpus: 1), 1));
        Assert.Equal(RejectReasons.InsufficientCpus, r.Unplaced.Single().Reasons.Single().Reason);
    }

    [Fact]
    public void Terminal_tasks_and_tasks_on_unknown_agents_are_ignored()
    {
        var agents = new[] { F.Agent("a", cpus: 1) };
        var tasks = new[] { F.Task("t1", "/other", "a", state: TaskState.Failed), F.Task("t2", "/other", "zz") };
        var r = F.Place(agents, tasks, new PlacementRequest(F.App(cpus: 1), 1));
        Assert.Single(r.Placements);
    }

    [Fact]
    public void Only_active_agents_receive_tasks()
    {
        var agents = new[]
        {
            F.Agent("a", status: AgentStatus.Draining),
            F.Agent("b", status: AgentStatus.Unreachable),
            F.Agent("c"),
        };
        var r = F.Place(agents, new PlacementRequest(F.App(), 3));
        Assert.All(r.Placements, p => Assert.Equal("c", p.AgentId));
        Assert.Equal(3, r.Placements.Count);

        var big = F.Place(agents, new PlacementRequest(F.App(cpus: 100), 1)).Unplaced.Single();
        Assert.Equal(new RejectReason(RejectReasons.AgentMaintenance, 2, 3), big.Reason(RejectReasons.AgentMaintenance));
        Assert.Equal(new RejectReason(RejectReasons.InsufficientCpus, 1, 3), big.Reason(RejectReasons.InsufficientCpus));
    }

    [Fact]
    public void No_active_agents_is_reported()
    {
        var none = F.Place([], new PlacementRequest(F.App(), 1)).Unplaced.Single();
        Assert.Equal(RejectReasons.NoActiveAgents, none.Reasons.Single().Reason);
        Assert.Equal(0, none.Processed);

        var draining = F.Place([F.Agent("a", status: AgentStatus.Draining)], new PlacementRequest(F.App(), 1)).Unplaced.Single();
        Assert.Equal([RejectReasons.NoActiveAgents, RejectReasons.AgentMaintenance], draining.Reasons.Select(x => x.Reason));
    }

    [Fact]
    public void Zero_and_negative_counts_place_nothing()
    {
        var r = F.Place([F.Agent("a")], new PlacementRequest(F.App(), 0), new PlacementRequest(F.App("/b"), -3));
        Assert.Empty(r.Placements);
        Assert.Empty(r.Unplaced);
    }

    [Fact]
    public void Agents_without_capacity_only_take_free_apps()
    {
        var agents = new[] { F.Agent("a", cpus: 0, mem: 0, disk: 0) };
        var free = F.Place(agents, new PlacementRequest(F.App(cpus: 0, mem: 0, ports: 0), 2));
        Assert.Equal(2, free.Placements.Count);
        Assert.Single(F.Place(agents, new PlacementRequest(F.App(), 1)).Unplaced);
    }
}
