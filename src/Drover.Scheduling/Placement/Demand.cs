using Drover.Core.Apps;
using Drover.Core.Cluster;

namespace Drover.Scheduling;

/// <summary>What one instance of an app needs from an agent, in <see cref="AgentTable"/> units.</summary>
internal sealed class Demand
{
    public long Cpu, Mem, Disk;
    /// <summary>One entry per host port the task gets, in order (PORT0, PORT1, …): 0 = any free port, else that port.</summary>
    public int[] Ports = [];
    /// <summary>The non-zero entries of <see cref="Ports"/>.</summary>
    public int[] Fixed = [];
    /// <summary>The same fixed host port is asked for twice: no agent can satisfy it.</summary>
    public bool PortsImpossible;
    /// <summary>The task driver an agent must have (<see cref="TaskDrivers"/>).</summary>
    public string Driver = TaskDrivers.Process;

    public static Demand For(AppDefinition app)
    {
        var ports = HostPorts(app);
        var fix = new List<int>();
        var impossible = false;
        foreach (var p in ports)
        {
            if (p == 0) continue;
            if (fix.Contains(p) || p > 65535 || p < 0) impossible = true;
            fix.Add(p);
        }
        return new Demand
        {
            Cpu = AgentTable.ToFixed(app.Cpus),
            Mem = AgentTable.ToFixed(app.Mem),
            Disk = AgentTable.ToFixed(app.Disk),
            Ports = ports,
            Fixed = fix.ToArray(),
            PortsImpossible = impossible,
            Driver = TaskDrivers.Required(app.Container),
        };
    }

    /// <summary>Host ports an instance reserves (see <see cref="AppPorts.HostPorts"/>): 0 = any free port, else that port.</summary>
    public static int[] HostPorts(AppDefinition app)
    {
        var slots = AppPorts.HostPorts(app);
        var result = new int[slots.Count];
        for (var i = 0; i < slots.Count; i++) result[i] = slots[i].Requested;
        return result;
    }
}
