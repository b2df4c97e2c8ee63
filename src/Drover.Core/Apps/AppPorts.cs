namespace Drover.Core.Apps;

/// <summary>One host port an instance reserves: the port asked for (0 = any free port) and its name, if any.</summary>
public readonly record struct HostPortSlot(int Requested, string? Name);

public static class AppPorts
{
    /// <summary>
    /// Host ports an instance reserves, in order (PORT0, PORT1, …). Host networking: one per portDefinition, equal
    /// to its port when requirePorts is set (and the port is non-zero). BRIDGE: one per portMapping (hostPort absent
    /// or 0 = dynamic; no mappings at all = Marathon's single default mapping). USER/container networks: only
    /// mappings that name a hostPort. Names come from the portDefinition or portMapping.
    /// </summary>
    public static IReadOnlyList<HostPortSlot> HostPorts(AppDefinition app)
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
            if (mappings is null) return bridge ? [new HostPortSlot(0, null)] : [];
            var list = new List<HostPortSlot>(mappings.Count);
            foreach (var m in mappings)
            {
                if (m.HostPort is int hp) list.Add(new HostPortSlot(hp, m.Name));
                else if (bridge) list.Add(new HostPortSlot(0, m.Name));
            }
            return list;
        }
        var defs = app.PortDefinitions;
        var result = new HostPortSlot[defs.Count];
        for (var i = 0; i < defs.Count; i++) result[i] = new HostPortSlot(app.RequirePorts ? defs[i].Port : 0, defs[i].Name);
        return result;
    }

    /// <summary>The name of each host port (null when unnamed), indexed like the task's ports.</summary>
    public static IReadOnlyList<string?> HostPortNames(AppDefinition app) => [.. HostPorts(app).Select(p => p.Name)];
}
