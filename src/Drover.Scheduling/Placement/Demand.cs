using Drover.Core.Apps;

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
        };
    }

    /// <summary>
    /// Host ports an instance reserves. Host networking: one per portDefinition, equal to its port when
    /// requirePorts is set (and the port is non-zero). BRIDGE: one per portMapping (hostPort absent or 0 =
    /// dynamic; no mappings at all = Marathon's single default mapping). USER/container networks: only mappings
    /// that name a hostPort.
    /// </summary>
    public static int[] HostPorts(AppDefinition app)
    {
        var docker = app.Container?.Docker;
        var bridge = string.Equals(docker?.Network, "BRIDGE", StringComparison.OrdinalIgnoreCase);
        var user = string.Equals(docker?.Network, "USER", StringComparison.OrdinalIgnoreCase);
        if (app.Networks is { Count: > 0 } nets)
        {
            foreach (var n in nets)
            {
                if (string.Equals(n.Mode, "container/bridge", StringComparison.OrdinalIgnoreCase)) bridge = true;
                else if (string.Equals(n.Mode, "container", StringComparison.OrdinalIgnoreCase)) user = true;
            }
        }
        if (bridge || user)
        {
            var mappings = app.Container?.PortMappings ?? docker?.PortMappings;
            if (mappings is null) return bridge ? [0] : [];
            var list = new List<int>(mappings.Count);
            foreach (var m in mappings)
            {
                if (m.HostPort is int hp) list.Add(hp);
                else if (bridge) list.Add(0);
            }
            return list.ToArray();
        }
        var defs = app.PortDefinitions;
        var result = new int[defs.Count];
        for (var i = 0; i < defs.Count; i++) result[i] = app.RequirePorts ? defs[i].Port : 0;
        return result;
    }
}
