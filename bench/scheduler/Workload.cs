using Drover.Core.Apps;
using Drover.Core.Cluster;
using Drover.Core.Json;
using Drover.Scheduling;

/// <summary>A reproducible synthetic cluster and app mix.</summary>
internal static class Workload
{
    private static readonly double[] AgentCpus = [8, 16, 32, 64];
    private static readonly double[] AgentMemGiB = [16, 32, 64, 128, 256];
    private static readonly double[] AppCpus = [0.05, 0.1, 0.1, 0.2, 0.25, 0.5];
    private static readonly double[] AppMem = [32, 64, 128, 256, 512];

    public static AgentInfo[] Agents(int count, int seed, DateTimeOffset now)
    {
        var rnd = new Random(seed);
        var seen = MarathonTime.ToWire(now);
        var agents = new AgentInfo[count];
        for (var i = 0; i < count; i++)
        {
            agents[i] = new AgentInfo
            {
                Id = $"agent-{i:D5}",
                Hostname = $"node{i:D5}.dc1.example",
                Resources = new AgentResources
                {
                    Cpus = AgentCpus[rnd.Next(AgentCpus.Length)],
                    MemMb = AgentMemGiB[rnd.Next(AgentMemGiB.Length)] * 1024,
                    DiskMb = 500 * 1024,
                },
                Attributes = new Dictionary<string, string> { ["rack"] = $"r{i % 100}", ["zone"] = $"z{i % 3}" },
                // ~1% in maintenance (spread over racks): they must never receive tasks.
                Status = i % 97 == 96 ? AgentStatus.Draining : AgentStatus.Active,
                RegisteredAt = seen,
                LastSeenAt = seen,
            };
        }
        return agents;
    }

    public static PlacementRequest[] Requests(int apps, int perApp, double constrainedFraction, int seed)
    {
        var rnd = new Random(seed + 1);
        string[][][] constraintMix =
        [
            [["hostname", "UNIQUE"]],
            [["rack", "GROUP_BY"]],
            [["rack", "MAX_PER", "2"]],
            [["zone", "IS", "z1"], ["hostname", "UNIQUE"]],
            [["hostname", "LIKE", "node0[0-4].*"]],
            [["rack", "CLUSTER"]],
        ];
        var version = MarathonTime.ToWire(new DateTimeOffset(2025, 12, 31, 0, 0, 0, TimeSpan.Zero));
        var requests = new PlacementRequest[apps];
        for (var i = 0; i < apps; i++)
        {
            var constrained = rnd.NextDouble() < constrainedFraction;
            var ports = rnd.Next(10) switch { 0 => 0, 1 => 2, _ => 1 };
            var app = new AppDefinition
            {
                Id = $"/bench/app{i:D5}",
                Cmd = "sleep 3600",
                Instances = perApp,
                Cpus = AppCpus[rnd.Next(AppCpus.Length)],
                Mem = AppMem[rnd.Next(AppMem.Length)],
                Disk = 64,
                PortDefinitions = Enumerable.Range(0, ports).Select(p => new PortDefinition { Port = 10_000 + p }).ToArray(),
                Constraints = constrained ? constraintMix[rnd.Next(constraintMix.Length)] : [],
                Version = version,
                VersionInfo = new VersionInfo { LastScalingAt = version, LastConfigChangeAt = version },
            };
            requests[i] = new PlacementRequest(app, perApp);
        }
        return requests;
    }

    public static void PrintUtilisation(AgentInfo[] agents, PlacementRequest[] requests, PlacementResult result)
    {
        var apps = requests.ToDictionary(r => r.App.Id, r => r.App);
        double cpus = 0, mem = 0;
        foreach (var p in result.Placements)
        {
            var a = apps[p.AppId];
            cpus += a.Cpus;
            mem += a.Mem;
        }
        var totalCpus = agents.Where(a => a.Status == AgentStatus.Active).Sum(a => a.Resources.Cpus);
        var totalMem = agents.Where(a => a.Status == AgentStatus.Active).Sum(a => a.Resources.MemMb);
        Console.WriteLine($"  cluster use      cpu {cpus / totalCpus:P1}, mem {mem / totalMem:P1}");
    }
}
