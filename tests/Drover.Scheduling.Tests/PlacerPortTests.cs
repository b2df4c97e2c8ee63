using Drover.Core.Apps;
using Drover.Core.Cluster;

namespace Drover.Scheduling.Tests;

public class PlacerPortTests
{
    [Fact]
    public void Each_instance_gets_distinct_ports_from_the_range()
    {
        var agents = new[] { F.Agent("a", cpus: 100, mem: 100_000) };
        var r = F.Place(agents, new PlacementRequest(F.App(cpus: 0.1, mem: 1, ports: 2), 10));
        var ports = r.Placements.SelectMany(p => p.HostPorts).ToList();
        Assert.Equal(20, ports.Count);
        Assert.Equal(20, ports.Distinct().Count());
        Assert.All(ports, p => Assert.InRange(p, 31000, 32000));
        Assert.All(r.Placements, p => Assert.Equal(2, p.HostPorts.Count));
    }

    [Fact]
    public void Ports_of_existing_tasks_are_not_reused()
    {
        var agents = new[] { F.Agent("a", ports: [new PortRange(31000, 31003)]) };
        var tasks = new[] { F.Task("t", "/other", "a", cpus: 0, ports: [31000, 31002]) };
        var r = F.Place(agents, tasks, new PlacementRequest(F.App(cpus: 0.1, ports: 1), 3));
        Assert.Equal([31003, 31001], r.Placements.Select(p => p.HostPorts[0]));
        Assert.Equal(RejectReasons.InsufficientPorts, r.Unplaced.Single().Reasons.Single().Reason);
    }

    [Fact]
    public void Range_exhaustion_moves_to_other_agents_then_reports_ports()
    {
        var agents = new[]
        {
            F.Agent("a", ports: [new PortRange(31000, 31002)]),
            F.Agent("b", ports: [new PortRange(40000, 40001), new PortRange(40005, 40005)]),
        };
        var r = F.Place(agents, new PlacementRequest(F.App(cpus: 0.1, ports: 2), 3));
        Assert.Equal(2, r.Placements.Count);
        Assert.Equal(["a", "b"], r.Placements.Select(p => p.AgentId).Order());
        var u = r.Unplaced.Single();
        Assert.Equal(1, u.Count);
        Assert.Equal(new RejectReason(RejectReasons.InsufficientPorts, 2, 2), u.Reasons.Single());
    }

    [Fact]
    public void Multiple_ranges_are_all_used()
    {
        var agents = new[] { F.Agent("a", ports: [new PortRange(40005, 40005), new PortRange(40000, 40001)]) };
        var r = F.Place(agents, new PlacementRequest(F.App(cpus: 0.1, ports: 3), 1));
        Assert.Equal([40000, 40001, 40005], r.Placements.Single().HostPorts.Order());
    }

    [Fact]
    public void Apps_without_ports_ignore_port_ranges()
    {
        var agents = new[] { F.Agent("a", ports: []) };
        var r = F.Place(agents, new PlacementRequest(F.App(ports: 0), 2));
        Assert.Equal(2, r.Placements.Count);
        Assert.All(r.Placements, p => Assert.Empty(p.HostPorts));
    }

    [Fact]
    public void RequirePorts_pins_host_ports_to_the_definition()
    {
        var app = F.App(cpus: 0.1) with
        {
            RequirePorts = true,
            PortDefinitions = [new PortDefinition { Port = 31005 }, new PortDefinition { Port = 0 }],
        };
        var agents = new[] { F.Agent("a"), F.Agent("b") };
        var r = F.Place(agents, new PlacementRequest(app, 3));
        Assert.Equal(2, r.Placements.Count);
        Assert.All(r.Placements, p => Assert.Equal(31005, p.HostPorts[0]));
        Assert.All(r.Placements, p => Assert.NotEqual(31005, p.HostPorts[1]));
        Assert.Equal(RejectReasons.InsufficientPorts, r.Unplaced.Single().Reasons.Single().Reason);
    }

    [Fact]
    public void RequirePorts_outside_every_range_is_unplaceable()
    {
        var app = F.App() with { RequirePorts = true, PortDefinitions = [new PortDefinition { Port = 8080 }] };
        var r = F.Place([F.Agent("a")], new PlacementRequest(app, 1));
        Assert.Equal(RejectReasons.InsufficientPorts, r.Unplaced.Single().Reasons.Single().Reason);
    }

    [Fact]
    public void RequirePorts_respects_ports_held_by_existing_tasks()
    {
        var app = F.App(cpus: 0.1) with { RequirePorts = true, PortDefinitions = [new PortDefinition { Port = 31010 }] };
        var agents = new[] { F.Agent("a"), F.Agent("b") };
        var tasks = new[] { F.Task("t", "/other", "a", cpus: 0, ports: [31010]) };
        var r = F.Place(agents, tasks, new PlacementRequest(app, 1));
        Assert.Equal("b", r.Placements.Single().AgentId);
    }

    [Fact]
    public void Bridge_network_uses_port_mappings()
    {
        var app = F.App(cpus: 0.1, ports: 0) with
        {
            Container = new ContainerSpec
            {
                Docker = new DockerSpec
                {
                    Image = "nginx",
                    Network = "BRIDGE",
                    PortMappings =
                    [
                        new PortMapping { ContainerPort = 80, HostPort = 0 },
                        new PortMapping { ContainerPort = 443, HostPort = 31443 },
                        new PortMapping { ContainerPort = 9000 }, // BRIDGE: absent hostPort = dynamic
                    ],
                },
            },
        };
        var r = F.Place([F.DockerAgent("a")], new PlacementRequest(app, 1));
        var ports = r.Placements.Single().HostPorts;
        Assert.Equal(3, ports.Count);
        Assert.Equal(31443, ports[1]);
        Assert.NotEqual(ports[0], ports[2]);
    }

    [Fact]
    public void Bridge_without_mappings_gets_one_dynamic_port_and_user_network_only_named_host_ports()
    {
        var bridge = F.App(ports: 0) with { Container = new ContainerSpec { Docker = new DockerSpec { Image = "x", Network = "BRIDGE" } } };
        Assert.Single(F.Place([F.DockerAgent("a")], new PlacementRequest(bridge, 1)).Placements.Single().HostPorts);

        var user = F.App(ports: 0) with
        {
            Networks = [new NetworkSpec { Mode = "container", Name = "overlay" }],
            Container = new ContainerSpec
            {
                Docker = new DockerSpec { Image = "x" },
                PortMappings = [new PortMapping { ContainerPort = 80 }, new PortMapping { ContainerPort = 81, HostPort = 0 }],
            },
        };
        Assert.Single(F.Place([F.DockerAgent("a")], new PlacementRequest(user, 1)).Placements.Single().HostPorts);
    }

    [Fact]
    public void Dynamic_ports_rotate_instead_of_reusing_the_lowest()
    {
        var agents = new[] { F.Agent("a", ports: [new PortRange(31000, 31009)]) };
        // 31005 in use: new ports start after the highest used one and wrap round.
        var tasks = new[] { F.Task("t", "/other", "a", cpus: 0, ports: [31005]) };
        var r = F.Place(agents, tasks, new PlacementRequest(F.App(cpus: 0.1), 6));
        Assert.Equal([31006, 31007, 31008, 31009, 31000, 31001], r.Placements.Select(p => p.HostPorts[0]));
    }

    [Fact]
    public void Ports_held_by_other_programs_are_never_handed_out()
    {
        var agents = new[] { F.Agent("a", ports: [new PortRange(31000, 31004)]) with { HeldPorts = [31000, 31002] } };
        var r = F.Place(agents, new PlacementRequest(F.App(cpus: 0.1, ports: 1), 4));

        Assert.Equal([31001, 31003, 31004], r.Placements.Select(p => p.HostPorts[0]).Order());
        Assert.Equal(RejectReasons.InsufficientPorts, r.Unplaced.Single().Reasons.Single().Reason);
    }

    [Fact]
    public void A_required_port_that_is_held_moves_the_task_to_an_agent_where_it_is_free()
    {
        var agents = new[]
        {
            F.Agent("a") with { HeldPorts = [31010] },
            F.Agent("b"),
        };
        var app = F.App(cpus: 0.1) with { RequirePorts = true, PortDefinitions = [new PortDefinition { Port = 31010 }] };

        var r = F.Place(agents, new PlacementRequest(app, 1));

        Assert.Equal("b", r.Placements.Single().AgentId);
        Assert.Equal([31010], r.Placements.Single().HostPorts);
    }
}
