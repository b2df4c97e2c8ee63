using Drover.Core.Cluster;

namespace Drover.Scheduling.Tests;

/// <summary>Random clusters and requests: whatever the placer decides must respect capacity, ports and constraints.</summary>
public class PlacerInvariantTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void Placements_never_overcommit_or_break_constraints(int seed)
    {
        var rnd = new Random(seed);
        var statuses = new[] { AgentStatus.Active, AgentStatus.Active, AgentStatus.Active, AgentStatus.Draining, AgentStatus.Unreachable };
        var agents = Enumerable.Range(0, 120).Select(i => F.Agent(
            $"ag{i:D3}", cpus: rnd.Next(1, 9), mem: rnd.Next(1, 9) * 512, disk: 1000,
            status: statuses[rnd.Next(statuses.Length)],
            attrs: F.Attrs("rack", $"r{rnd.Next(6)}", "zone", $"z{rnd.Next(3)}"),
            ports: [new PortRange(31000, 31000 + rnd.Next(0, 20))])).ToArray();
        string[][][] constraintSets =
        [
            [], [], [],
            [F.C("hostname", "UNIQUE")],
            [F.C("rack", "MAX_PER", "3")],
            [F.C("rack", "GROUP_BY")],
            [F.C("zone", "IS", "z1"), F.C("hostname", "UNIQUE")],
            [F.C("rack", "UNLIKE", "r[01]")],
        ];
        var requests = Enumerable.Range(0, 40).Select(i => new PlacementRequest(
            F.App($"/app{i}", cpus: rnd.Next(1, 8) * 0.25, mem: rnd.Next(1, 8) * 64, disk: rnd.Next(0, 3) * 100,
                ports: rnd.Next(0, 3), constraints: constraintSets[rnd.Next(constraintSets.Length)]),
            rnd.Next(1, 60))).ToArray();

        var result = Placer.Place(new ClusterView(agents, []), requests);

        var byId = agents.ToDictionary(a => a.Id);
        Assert.All(result.Placements, p => Assert.Equal(AgentStatus.Active, byId[p.AgentId].Status));
        foreach (var g in result.Placements.GroupBy(p => p.AgentId))
        {
            var a = byId[g.Key];
            var apps = g.Select(p => requests.First(r => r.App.Id == p.AppId).App).ToList();
            Assert.True(apps.Sum(x => x.Cpus) <= a.Resources.Cpus + 1e-9);
            Assert.True(apps.Sum(x => x.Mem) <= a.Resources.MemMb + 1e-9);
            Assert.True(apps.Sum(x => x.Disk) <= a.Resources.DiskMb + 1e-9);
            var ports = g.SelectMany(p => p.HostPorts).ToList();
            Assert.Equal(ports.Count, ports.Distinct().Count());
            Assert.All(ports, p => Assert.Contains(a.Resources.Ports, r => r.Contains(p)));
        }
        foreach (var r in requests)
        {
            var mine = result.Placements.Where(p => p.AppId == r.App.Id).ToList();
            var unplaced = result.Unplaced.Where(u => u.AppId == r.App.Id).Sum(u => u.Count);
            Assert.Equal(r.Count, mine.Count + unplaced);
            Assert.All(mine, p => Assert.Equal(r.App.PortDefinitions.Count, p.HostPorts.Count));
            foreach (var c in r.App.Constraints)
            {
                var values = mine.Select(p => c[0] == "hostname" ? byId[p.AgentId].Hostname : byId[p.AgentId].Attributes[c[0]]).ToList();
                switch (c[1])
                {
                    case "UNIQUE": Assert.Equal(values.Count, values.Distinct().Count()); break;
                    case "MAX_PER": Assert.All(values.GroupBy(v => v), v => Assert.True(v.Count() <= 3)); break;
                    case "IS": Assert.All(values, v => Assert.Equal(c[2], v)); break;
                    case "UNLIKE": Assert.All(values, v => Assert.DoesNotMatch("^(r[01])$", v)); break;
                }
            }
        }
    }
}
