using Drover.Core.Cluster;

namespace Drover.Scheduling;

/// <summary>
/// The agents of one placement call as parallel arrays (index = position in agent-id order, which is also the
/// deterministic tie-break). Resources are fixed-point thousandths, as Mesos does, so that ten 0.1-cpu tasks
/// fill exactly one cpu.
/// </summary>
internal sealed class AgentTable
{
    public const double Scale = 1000;

    public readonly int Count;
    public readonly AgentInfo[] Infos;
    public readonly bool[] Active;
    public readonly long[] CpuTotal, MemTotal, DiskTotal;
    public readonly long[] CpuUsed, MemUsed, DiskUsed;
    public readonly PortPool[] Ports;
    public readonly int ActiveCount;
    private readonly Dictionary<string, int> _indexById;
    private readonly Dictionary<string, bool[]?> _driverAgents = new(StringComparer.Ordinal);

    public AgentTable(IReadOnlyList<AgentInfo> agents)
    {
        var sorted = new AgentInfo[agents.Count];
        for (var i = 0; i < sorted.Length; i++) sorted[i] = agents[i];
        Array.Sort(sorted, static (a, b) => string.CompareOrdinal(a.Id, b.Id));

        _indexById = new Dictionary<string, int>(sorted.Length, StringComparer.Ordinal);
        var unique = new List<AgentInfo>(sorted.Length);
        foreach (var a in sorted)
        {
            if (_indexById.TryAdd(a.Id, unique.Count)) unique.Add(a);
        }
        Count = unique.Count;
        Infos = unique.ToArray();
        Active = new bool[Count];
        CpuTotal = new long[Count]; MemTotal = new long[Count]; DiskTotal = new long[Count];
        CpuUsed = new long[Count]; MemUsed = new long[Count]; DiskUsed = new long[Count];
        Ports = new PortPool[Count];
        var layouts = new Dictionary<string, PortLayout>(StringComparer.Ordinal);
        for (var i = 0; i < Count; i++)
        {
            var a = Infos[i];
            Active[i] = a.Status == AgentStatus.Active;
            if (Active[i]) ActiveCount++;
            CpuTotal[i] = ToFixed(a.Resources.Cpus);
            MemTotal[i] = ToFixed(a.Resources.MemMb);
            DiskTotal[i] = ToFixed(a.Resources.DiskMb);
            Ports[i] = new PortPool(PortLayout.Create(a.Resources.Ports, layouts));
            // Held by programs that are not tasks: never handed out, as if a task had them.
            foreach (var p in a.HeldPorts) Ports[i].Take(p);
        }
    }

    public static long ToFixed(double v) =>
        double.IsNaN(v) || v <= 0 ? 0 : v >= 1e15 ? (long)1e18 : (long)Math.Round(v * Scale);

    /// <summary>Which agents have <paramref name="driver"/>; null when every agent has it (the common case costs nothing).</summary>
    public bool[]? AgentsWithDriver(string driver)
    {
        if (_driverAgents.TryGetValue(driver, out var has)) return has;
        has = new bool[Count];
        var all = true;
        for (var i = 0; i < Count; i++)
        {
            has[i] = Contains(Infos[i].Drivers, driver);
            all &= has[i];
        }
        if (all) has = null;
        _driverAgents[driver] = has;
        return has;
    }

    private static bool Contains(IReadOnlyList<string> drivers, string driver)
    {
        foreach (var d in drivers)
        {
            if (string.Equals(d, driver, StringComparison.Ordinal)) return true;
        }
        return false;
    }

    public int IndexOf(string agentId) => _indexById.TryGetValue(agentId, out var i) ? i : -1;

    /// <summary>Charges an existing task to its agent.</summary>
    public void AddExisting(int agent, TaskRecord task)
    {
        CpuUsed[agent] += ToFixed(task.Cpus);
        MemUsed[agent] += ToFixed(task.MemMb);
        DiskUsed[agent] += ToFixed(task.DiskMb);
        ref var pool = ref Ports[agent];
        foreach (var p in task.Ports) pool.Take(p);
    }

    /// <summary>Charges what an agent's tasks hold, summed beforehand (<see cref="AgentUsage"/>).</summary>
    public void AddUsage(int agent, AgentUsage usage)
    {
        CpuUsed[agent] += usage.Cpu;
        MemUsed[agent] += usage.Mem;
        DiskUsed[agent] += usage.Disk;
        ref var pool = ref Ports[agent];
        foreach (var p in usage.Ports) pool.Take(p);
    }

    /// <summary>max(cpu, mem) utilisation in [0, 1+]; an agent without capacity counts as full once anything uses it.</summary>
    public double Load(int i)
    {
        var c = CpuTotal[i] > 0 ? (double)CpuUsed[i] / CpuTotal[i] : CpuUsed[i] > 0 ? 1 : 0;
        var m = MemTotal[i] > 0 ? (double)MemUsed[i] / MemTotal[i] : MemUsed[i] > 0 ? 1 : 0;
        return Math.Max(c, m);
    }
}
