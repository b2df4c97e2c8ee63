namespace Drover.Core.Cluster;

/// <summary>A host that runs tasks, as registered with the server.</summary>
public sealed record AgentInfo
{
    /// <summary>Stable id (kept in the agent's data dir across restarts), shown as Marathon's slaveId.</summary>
    public required string Id { get; init; }
    public required string Hostname { get; init; }
    /// <summary>Base URL of the agent's own HTTP endpoint (logs, metrics), e.g. http://127.0.0.1:5051.</summary>
    public string? Endpoint { get; init; }
    /// <summary>
    /// The IP address other hosts and DNS use for this agent and its tasks (the agent's --advertise, resolved), as
    /// Consul's node address and Mesos' --advertise_ip; null when the agent did not say (then see <see cref="AgentAddresses.IpAddress"/>).
    /// </summary>
    public string? Address { get; init; }
    public required AgentResources Resources { get; init; }
    public IReadOnlyDictionary<string, string> Attributes { get; init; } = new Dictionary<string, string>();
    /// <summary>The task drivers the agent has (<see cref="TaskDrivers"/>): tasks are placed only where their driver is.</summary>
    public IReadOnlyList<string> Drivers { get; init; } = TaskDrivers.Default;
    public AgentStatus Status { get; init; } = AgentStatus.Active;
    /// <summary>
    /// Ports of <see cref="AgentResources.Ports"/> that another program on the host holds (as the agent last saw
    /// them): placement skips them, so a task is never given a port it cannot bind. Sorted; empty when none.
    /// </summary>
    public IReadOnlyList<int> HeldPorts { get; init; } = [];
    public required string RegisteredAt { get; init; }
    public required string LastSeenAt { get; init; }
    /// <summary>
    /// Set by <c>drover agent drain</c> until undrained: no new work is placed here and the tasks move away. Kept while
    /// the agent is unreachable, so <see cref="Status"/> is <see cref="AgentStatus.Draining"/> again when it returns.
    /// </summary>
    public AgentDrain? Drain { get; init; }

    /// <summary>The status of a reachable agent: Draining while a drain is on, else Active.</summary>
    public AgentStatus ReachableStatus => Drain is null ? AgentStatus.Active : AgentStatus.Draining;
}

public enum AgentStatus { Active, Unreachable, Draining }

/// <summary>A drain of an agent: since when, and the deadline after which its remaining tasks are killed (and replaced elsewhere).</summary>
public sealed record AgentDrain
{
    public required string StartedAt { get; init; }
    /// <summary>Null: no deadline, tasks move only as their apps' upgrade strategies allow.</summary>
    public string? Deadline { get; init; }
}

public sealed record AgentResources
{
    public double Cpus { get; init; }
    public double MemMb { get; init; }
    public double DiskMb { get; init; }
    /// <summary>Inclusive host port ranges tasks may use, default 31000–32000.</summary>
    public IReadOnlyList<PortRange> Ports { get; init; } = [new PortRange(31000, 32000)];
}

public sealed record PortRange(int Begin, int End)
{
    public int Count => End - Begin + 1;
    public bool Contains(int port) => port >= Begin && port <= End;
}
