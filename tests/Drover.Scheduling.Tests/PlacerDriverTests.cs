using Drover.Core.Apps;
using Drover.Core.Cluster;

namespace Drover.Scheduling.Tests;

/// <summary>Tasks go only to agents that have their driver: DOCKER apps to agents with Docker.</summary>
public class PlacerDriverTests
{
    private static AgentInfo WithDocker(string id, double cpus = 4) =>
        F.Agent(id, cpus: cpus) with { Drivers = [TaskDrivers.Process, TaskDrivers.Docker] };

    private static AppDefinition Docker(string id = "/box", string network = "BRIDGE") => F.App(id, ports: 0) with
    {
        Container = new ContainerSpec { Type = "DOCKER", Docker = new DockerSpec { Image = "busybox:1", Network = network } },
    };

    [Fact]
    public void Docker_apps_go_only_to_agents_with_the_docker_driver()
    {
        var agents = new[] { F.Agent("a"), WithDocker("b"), F.Agent("c"), WithDocker("d") };
        var r = F.Place(agents, new PlacementRequest(Docker(), 4));
        Assert.Empty(r.Unplaced);
        Assert.Equal(new Dictionary<string, int> { ["b"] = 2, ["d"] = 2 }, r.CountByAgent());
    }

    [Fact]
    public void Process_apps_still_go_everywhere()
    {
        var agents = new[] { F.Agent("a"), WithDocker("b") };
        var r = F.Place(agents, new PlacementRequest(F.App(), 2), new PlacementRequest(Docker(), 1));
        Assert.Empty(r.Unplaced);
        Assert.Equal(["a", "b", "b"], r.Placements.Select(p => p.AgentId));
    }

    [Fact]
    public void Without_any_docker_agent_the_queue_says_no_driver_on_every_agent()
    {
        var agents = new[] { F.Agent("a"), F.Agent("b"), F.Agent("c") };
        var r = F.Place(agents, new PlacementRequest(Docker(), 2));
        var u = Assert.Single(r.Unplaced);
        Assert.Equal(2, u.Count);
        Assert.Equal(new RejectReason(RejectReasons.NoDriver, 3, 3), u.Reason(RejectReasons.NoDriver));
        Assert.Null(u.Reason(RejectReasons.InsufficientCpus));
    }

    [Fact]
    public void A_full_docker_agent_and_agents_without_docker_are_both_named()
    {
        var agents = new[] { F.Agent("a"), WithDocker("b", cpus: 1) };
        var r = F.Place(agents, new PlacementRequest(Docker(), 2));
        Assert.Equal(["b"], r.Placements.Select(p => p.AgentId));
        var u = Assert.Single(r.Unplaced);
        Assert.Equal(1, u.Reason(RejectReasons.NoDriver)!.Declined);
        Assert.Equal(1, u.Reason(RejectReasons.InsufficientCpus)!.Declined);
    }

    [Fact]
    public void Driver_and_static_constraints_combine()
    {
        var agents = new[]
        {
            WithDocker("a") with { Attributes = F.Attrs("rack", "r1") },
            WithDocker("b") with { Attributes = F.Attrs("rack", "r2") },
            F.Agent("c", attrs: F.Attrs("rack", "r1")),
        };
        var app = Docker() with { Constraints = [["rack", "LIKE", "r1"]] };
        var r = F.Place(agents, new PlacementRequest(app, 3));
        Assert.Equal(["a", "a", "a"], r.Placements.Select(p => p.AgentId));
    }

    [Fact]
    public void Bridge_port_mappings_take_host_ports_from_the_agents_range()
    {
        var agents = new[] { WithDocker("a") with { Resources = new AgentResources { Cpus = 4, MemMb = 4096, DiskMb = 1000, Ports = [new PortRange(31000, 31002)] } } };
        var app = Docker() with
        {
            Container = Docker().Container! with
            {
                PortMappings = [new PortMapping { ContainerPort = 80 }, new PortMapping { ContainerPort = 8080, HostPort = 31002 }],
            },
        };
        var r = F.Place(agents, new PlacementRequest(app, 2));
        var p = Assert.Single(r.Placements);
        Assert.Equal([31000, 31002], p.HostPorts);
        Assert.Equal(1, Assert.Single(r.Unplaced).Reason(RejectReasons.InsufficientPorts)!.Declined);
    }

    [Fact]
    public void Docker_image_names_the_driver_whatever_the_container_type()
    {
        Assert.Equal(TaskDrivers.Docker, TaskDrivers.Required(new ContainerSpec { Type = "MESOS", Docker = new DockerSpec { Image = "x" } }));
        Assert.Equal(TaskDrivers.Process, TaskDrivers.Required(new ContainerSpec { Type = "MESOS" }));
        Assert.Equal(TaskDrivers.Process, TaskDrivers.Required(null));
    }
}
