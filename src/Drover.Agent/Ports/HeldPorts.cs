using Drover.Core.Cluster;

namespace Drover.Agent.Ports;

/// <summary>
/// Which ports of the agent's ranges are held by programs that are not its tasks. The server only knows the
/// ports it handed out; anything else listening there (a database someone started by hand, a leftover of an old
/// agent) would make a task crash-loop on bind while its health check reached the other program.
/// </summary>
public sealed class HeldPorts(IReadOnlyList<PortRange> ranges, Func<IEnumerable<int>> taskPorts, Func<HashSet<int>>? read = null)
{
    private readonly Func<HashSet<int>> _read = read ?? (() => ListeningPorts.Read());

    /// <summary>Held ports within the ranges, less the ports of this agent's own live tasks; sorted.</summary>
    public IReadOnlyList<int> Scan()
    {
        var listening = _read();
        if (listening.Count == 0) return [];
        listening.ExceptWith(taskPorts());
        var held = listening.Where(p => ranges.Any(r => r.Contains(p))).ToList();
        held.Sort();
        return held;
    }

    /// <summary>Which of <paramref name="ports"/> something holds right now (checked just before a launch).</summary>
    public IReadOnlyList<int> Among(IReadOnlyList<int> ports)
    {
        if (ports.Count == 0) return [];
        var listening = _read();
        return [.. ports.Where(p => p > 0 && listening.Contains(p)).Distinct()];
    }
}
