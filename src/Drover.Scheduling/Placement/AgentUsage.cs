using Drover.Core.Cluster;

namespace Drover.Scheduling;

/// <summary>
/// What the live tasks on one agent hold: cpu, memory and disk (in the placer's fixed-point thousandths) and host ports.
/// A caller that keeps tasks grouped by agent computes it once per unchanged group and hands it to the placer
/// (<see cref="ClusterView.Usage"/>), so a placement does not sum every task of the cluster again.
/// </summary>
public sealed class AgentUsage
{
    public static readonly AgentUsage None = new(0, 0, 0, []);

    private AgentUsage(long cpu, long mem, long disk, int[] ports)
    {
        Cpu = cpu;
        Mem = mem;
        Disk = disk;
        Ports = ports;
    }

    internal long Cpu { get; }
    internal long Mem { get; }
    internal long Disk { get; }
    internal int[] Ports { get; }

    /// <summary>The sum over <paramref name="tasks"/> that are not terminal, as the placer charges them.</summary>
    public static AgentUsage Of(IEnumerable<TaskRecord> tasks)
    {
        ArgumentNullException.ThrowIfNull(tasks);
        long cpu = 0, mem = 0, disk = 0;
        List<int>? ports = null;
        foreach (var t in tasks)
        {
            if (t.State.IsTerminal()) continue;
            cpu += AgentTable.ToFixed(t.Cpus);
            mem += AgentTable.ToFixed(t.MemMb);
            disk += AgentTable.ToFixed(t.DiskMb);
            if (t.Ports.Count > 0) (ports ??= []).AddRange(t.Ports);
        }
        return cpu == 0 && mem == 0 && disk == 0 && ports is null ? None : new AgentUsage(cpu, mem, disk, ports?.ToArray() ?? []);
    }
}
