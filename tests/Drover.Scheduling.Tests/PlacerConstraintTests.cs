using Drover.Core.Cluster;

namespace Drover.Scheduling.Tests;

public class PlacerConstraintTests
{
    private static AgentInfo[] Racks(params (string Id, string Rack)[] agents) =>
        agents.Select(a => F.Agent(a.Id, attrs: F.Attrs("rack", a.Rack))).ToArray();

    private static PlacementResult PlaceWith(AgentInfo[] agents, int count, params string[][] constraints) =>
        F.Place(agents, new PlacementRequest(F.App(cpus: 0.1, constraints: constraints), count));

    private static PlacementResult PlaceWith(AgentInfo[] agents, TaskRecord[] tasks, int count, params string[][] constraints) =>
        F.Place(agents, tasks, new PlacementRequest(F.App(cpus: 0.1, constraints: constraints), count));

    [Fact]
    public void Unique_hostname_places_at_most_one_per_host()
    {
        var agents = new[] { F.Agent("a"), F.Agent("b"), F.Agent("c") };
        var r = PlaceWith(agents, 5, F.C("hostname", "UNIQUE"));
        Assert.Equal(3, r.Placements.Select(p => p.AgentId).Distinct().Count());
        var u = r.Unplaced.Single();
        Assert.Equal(2, u.Count);
        Assert.Equal(new RejectReason(RejectReasons.UnfulfilledConstraint, 3, 3), u.Reasons.Single());
    }

    [Fact]
    public void Unique_counts_existing_tasks_and_hostname_aliases()
    {
        var agents = new[] { F.Agent("a"), F.Agent("b"), F.Agent("c") };
        var tasks = new[] { F.Task("w1", "/web", "b", cpus: 0.1) };
        var r = PlaceWith(agents, tasks, 3, F.C("@hostname", "UNIQUE"));
        Assert.Equal(["a", "c"], r.Placements.Select(p => p.AgentId));
        Assert.Equal(1, r.Unplaced.Single().Count);
    }

    [Fact]
    public void Unique_on_an_attribute_allows_one_per_value()
    {
        var agents = Racks(("a", "r1"), ("b", "r1"), ("c", "r2"), ("d", "r2"));
        var r = PlaceWith(agents, 4, F.C("rack", "UNIQUE"));
        Assert.Equal(2, r.Placements.Count);
        Assert.Equal(["a", "c"], r.Placements.Select(p => p.AgentId));
    }

    [Fact]
    public void Cluster_with_value_only_uses_matching_agents()
    {
        var agents = Racks(("a", "r1"), ("b", "r2"), ("c", "r2"));
        var r = PlaceWith(agents, 4, F.C("rack", "CLUSTER", "r2"));
        Assert.All(r.Placements, p => Assert.Contains(p.AgentId, new[] { "b", "c" }));
        Assert.Equal(4, r.Placements.Count);
    }

    [Fact]
    public void Cluster_without_value_follows_existing_tasks()
    {
        var agents = Racks(("a", "r1"), ("b", "r2"), ("c", "r2"));
        var tasks = new[] { F.Task("w1", "/web", "c", cpus: 0.1) };
        var r = PlaceWith(agents, tasks, 3, F.C("rack", "CLUSTER"));
        Assert.All(r.Placements, p => Assert.Contains(p.AgentId, new[] { "b", "c" }));
    }

    [Fact]
    public void Cluster_without_value_and_no_tasks_keeps_all_on_the_first_value()
    {
        var agents = Racks(("a", "r1"), ("b", "r2"), ("c", "r1"));
        var r = PlaceWith(agents, 4, F.C("rack", "CLUSTER"));
        Assert.Equal(4, r.Placements.Count);
        Assert.All(r.Placements, p => Assert.Contains(p.AgentId, new[] { "a", "c" }));
    }

    [Fact]
    public void Cluster_hostname_pins_to_one_host()
    {
        var agents = new[] { F.Agent("a"), F.Agent("b", host: "special") };
        var r = PlaceWith(agents, 2, F.C("hostname", "CLUSTER", "special"));
        Assert.All(r.Placements, p => Assert.Equal("b", p.AgentId));
    }

    [Fact]
    public void Group_by_spreads_evenly_across_values_not_agents()
    {
        // r0 has three agents, r1 one, r2 two: agent-level spread would put half on r0.
        var agents = Racks(("a", "r0"), ("b", "r0"), ("c", "r0"), ("d", "r1"), ("e", "r2"), ("f", "r2"));
        var r = PlaceWith(agents, 6, F.C("rack", "GROUP_BY"));
        var byRack = r.Placements.GroupBy(p => agents.Single(a => a.Id == p.AgentId).Attributes["rack"]).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(2, byRack["r0"]);
        Assert.Equal(2, byRack["r1"]);
        Assert.Equal(2, byRack["r2"]);
        // Within a value the usual spread applies.
        Assert.Equal(1, r.Placements.Count(p => p.AgentId == "e"));
        Assert.Equal(1, r.Placements.Count(p => p.AgentId == "f"));
    }

    [Fact]
    public void Group_by_fills_the_values_with_fewest_tasks_first()
    {
        var agents = Racks(("a", "r0"), ("b", "r1"), ("c", "r2"));
        var tasks = new[] { F.Task("w1", "/web", "a", cpus: 0.1), F.Task("w2", "/web", "a", cpus: 0.1), F.Task("w3", "/web", "b", cpus: 0.1) };
        var r = PlaceWith(agents, tasks, 3, F.C("rack", "GROUP_BY", "3"));
        Assert.Equal(["c", "b", "c"], r.Placements.Select(p => p.AgentId));
    }

    [Fact]
    public void Group_by_keeps_placing_when_a_value_is_full()
    {
        var agents = new[]
        {
            F.Agent("a", cpus: 0.1, attrs: F.Attrs("rack", "r0")),
            F.Agent("b", attrs: F.Attrs("rack", "r1")),
        };
        var r = PlaceWith(agents, 3, F.C("rack", "GROUP_BY"));
        Assert.Equal(["a", "b", "b"], r.Placements.Select(p => p.AgentId));
    }

    [Fact]
    public void Group_by_moves_on_to_values_with_more_tasks_when_the_emptiest_is_full()
    {
        var agents = new[]
        {
            F.Agent("a", cpus: 0.1, attrs: F.Attrs("rack", "r0")),
            F.Agent("b", attrs: F.Attrs("rack", "r1")),
            F.Agent("c", attrs: F.Attrs("rack", "r2")),
        };
        var tasks = new[]
        {
            F.Task("x", "/other", "a", cpus: 0.1),
            F.Task("w1", "/web", "b", cpus: 0.1), F.Task("w2", "/web", "b", cpus: 0.1), F.Task("w3", "/web", "b", cpus: 0.1),
            F.Task("w4", "/web", "c", cpus: 0.1), F.Task("w5", "/web", "c", cpus: 0.1), F.Task("w6", "/web", "c", cpus: 0.1), F.Task("w7", "/web", "c", cpus: 0.1),
        };
        // r0 (0 tasks) is full, so r1 (3) catches up with r2 (4) before both grow.
        var r = PlaceWith(agents, tasks, 3, F.C("rack", "GROUP_BY"));
        Assert.Equal(["b", "b", "c"], r.Placements.Select(p => p.AgentId));
    }

    [Fact]
    public void Group_by_ignores_values_only_inactive_agents_have()
    {
        var agents = new[]
        {
            F.Agent("a", status: AgentStatus.Draining, attrs: F.Attrs("rack", "r0")),
            F.Agent("b", attrs: F.Attrs("rack", "r1")),
        };
        var r = PlaceWith(agents, 2, F.C("rack", "GROUP_BY", "2"));
        Assert.Equal(["b", "b"], r.Placements.Select(p => p.AgentId));
    }

    [Fact]
    public void Like_is_a_full_match_regex()
    {
        var agents = new[] { F.Agent("a", host: "node-1"), F.Agent("b", host: "node-10"), F.Agent("c", host: "node-2") };
        var r = PlaceWith(agents, 4, F.C("hostname", "LIKE", "node-[12]"));
        Assert.All(r.Placements, p => Assert.Contains(p.AgentId, new[] { "a", "c" }));
        Assert.Equal(4, r.Placements.Count);
    }

    [Fact]
    public void Unlike_excludes_matches_and_accepts_missing_attributes()
    {
        var agents = new[]
        {
            F.Agent("a", attrs: F.Attrs("rack", "r1")),
            F.Agent("b", attrs: F.Attrs("rack", "r2")),
            F.Agent("c"),
        };
        var r = PlaceWith(agents, 4, F.C("rack", "UNLIKE", "r1|r3"));
        Assert.All(r.Placements, p => Assert.Contains(p.AgentId, new[] { "b", "c" }));
        Assert.Equal(4, r.Placements.Count);
    }

    [Theory]
    [InlineData("LIKE", "r.*")]
    [InlineData("IS", "r1")]
    [InlineData("CLUSTER", "r1")]
    [InlineData("UNIQUE", null)]
    [InlineData("GROUP_BY", null)]
    [InlineData("MAX_PER", "5")]
    public void Missing_attribute_fails_everything_but_unlike(string op, string? value)
    {
        var agents = new[] { F.Agent("a", attrs: F.Attrs("rack", "r1")), F.Agent("b") };
        var c = value is null ? F.C("rack", op) : F.C("rack", op, value);
        var r = PlaceWith(agents, 1, c);
        Assert.Equal("a", r.Placements.Single().AgentId);
        var none = PlaceWith([F.Agent("b")], 1, c);
        Assert.Equal(RejectReasons.UnfulfilledConstraint, none.Unplaced.Single().Reasons.Single().Reason);
    }

    [Fact]
    public void Max_per_limits_tasks_per_value()
    {
        var agents = Racks(("a", "r1"), ("b", "r1"), ("c", "r2"));
        var tasks = new[] { F.Task("w1", "/web", "a", cpus: 0.1) };
        var r = PlaceWith(agents, tasks, 5, F.C("rack", "MAX_PER", "2"));
        Assert.Equal(3, r.Placements.Count);
        Assert.Equal(1, r.Placements.Count(p => p.AgentId is "a" or "b"));
        Assert.Equal(2, r.Placements.Count(p => p.AgentId == "c"));
        Assert.Equal(2, r.Unplaced.Single().Count);
    }

    [Fact]
    public void Max_per_hostname_one_equals_unique()
    {
        var agents = new[] { F.Agent("a"), F.Agent("b") };
        Assert.Equal(2, PlaceWith(agents, 3, F.C("hostname", "MAX_PER", "1")).Placements.Count);
    }

    [Fact]
    public void Is_requires_equal_value()
    {
        var agents = new[] { F.Agent("a", attrs: F.Attrs("zone", "a")), F.Agent("b", attrs: F.Attrs("zone", "b")) };
        var r = PlaceWith(agents, 2, F.C("zone", "IS", "b"));
        Assert.All(r.Placements, p => Assert.Equal("b", p.AgentId));
    }

    [Fact]
    public void At_zone_and_region_fall_back_to_plain_attributes()
    {
        var agents = new[]
        {
            F.Agent("a", attrs: F.Attrs("zone", "z1", "region", "eu")),
            F.Agent("b", attrs: F.Attrs("@zone", "z2", "region", "us")),
        };
        Assert.Equal("a", PlaceWith(agents, 1, F.C("@zone", "IS", "z1")).Placements.Single().AgentId);
        Assert.Equal("b", PlaceWith(agents, 1, F.C("@zone", "IS", "z2")).Placements.Single().AgentId);
        Assert.Equal("b", PlaceWith(agents, 1, F.C("@region", "LIKE", "u.")).Placements.Single().AgentId);
    }

    [Fact]
    public void Several_constraints_all_apply()
    {
        var agents = new[]
        {
            F.Agent("a", attrs: F.Attrs("rack", "r1", "zone", "x")),
            F.Agent("b", attrs: F.Attrs("rack", "r1", "zone", "y")),
            F.Agent("c", attrs: F.Attrs("rack", "r2", "zone", "x")),
            F.Agent("d", attrs: F.Attrs("rack", "r2", "zone", "x")),
        };
        var r = PlaceWith(agents, 4, F.C("zone", "IS", "x"), F.C("rack", "UNIQUE"));
        Assert.Equal(["a", "c"], r.Placements.Select(p => p.AgentId));
    }

    [Fact]
    public void Invalid_constraint_places_nothing()
    {
        var r = PlaceWith([F.Agent("a")], 1, F.C("rack", "NEAR"));
        Assert.Equal(RejectReasons.UnfulfilledConstraint, r.Unplaced.Single().Reasons.Single().Reason);
    }

    [Fact]
    public void Constrained_apps_account_for_other_requests_and_resources()
    {
        var agents = new[] { F.Agent("a", cpus: 1), F.Agent("b", cpus: 1) };
        var r = F.Place(agents,
            new PlacementRequest(F.App("/fill", cpus: 1), 1),
            new PlacementRequest(F.App("/u", cpus: 0.5, constraints: [F.C("hostname", "UNIQUE")]), 2));
        Assert.Equal("a", r.Placements[0].AgentId);
        Assert.Equal("b", r.Placements.Single(p => p.AppId == "/u").AgentId);
        var u = r.Unplaced.Single();
        Assert.Equal(new RejectReason(RejectReasons.InsufficientCpus, 1, 2), u.Reason(RejectReasons.InsufficientCpus));
        Assert.Equal(new RejectReason(RejectReasons.UnfulfilledConstraint, 1, 2), u.Reason(RejectReasons.UnfulfilledConstraint));
    }

    [Theory]
    [InlineData("LIKE", ".*")]
    [InlineData("GROUP_BY", null)]
    public void A_constraint_that_changes_nothing_places_exactly_like_no_constraint(string op, string? value)
    {
        // hostname LIKE .* passes everywhere; GROUP_BY hostname (hostnames are unique) orders agents exactly as
        // the default spread does. The GROUP_BY levels, the constraint checks and the plain walk must agree.
        var constraint = value is null ? F.C("hostname", op) : F.C("hostname", op, value);
        var rnd = new Random(7);
        var agents = Enumerable.Range(0, 200).Select(i => F.Agent($"ag{i:D3}", cpus: rnd.Next(2, 16), mem: rnd.Next(2, 32) * 1024)).ToArray();
        var tasks = Enumerable.Range(0, 300).Select(i => F.Task($"t{i}", i % 3 == 0 ? "/app0" : "/bg", agents[rnd.Next(agents.Length)].Id, cpus: rnd.Next(1, 3) * 0.5, mem: 256)).ToArray();
        var requests = Enumerable.Range(0, 12).Select(i => (Id: $"/app{i}", Cpus: 0.25 * rnd.Next(1, 5), Count: rnd.Next(5, 400))).ToArray();

        var plain = Placer.Place(new ClusterView(agents, tasks), requests.Select(q => new PlacementRequest(F.App(q.Id, cpus: q.Cpus), q.Count)).ToArray());
        var constrained = Placer.Place(new ClusterView(agents, tasks),
            requests.Select(q => new PlacementRequest(F.App(q.Id, cpus: q.Cpus, constraints: [constraint]), q.Count)).ToArray());

        Assert.Equal(plain.Placements.Select(p => (p.AppId, p.AgentId)), constrained.Placements.Select(p => (p.AppId, p.AgentId)));
        Assert.Equal(plain.UnplacedCount, constrained.UnplacedCount);
    }
}
