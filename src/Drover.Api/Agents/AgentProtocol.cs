using Drover.Core.Cluster;

namespace Drover.Api.Agents;

/// <summary>Sent by an agent when it starts (and again whenever the server says it does not know it).</summary>
public sealed record AgentRegistration
{
    /// <summary>The id the agent had before (kept in its data dir), or null on first start.</summary>
    public string? AgentId { get; init; }
    public required string Hostname { get; init; }
    public string? Endpoint { get; init; }
    /// <summary>The IP address other hosts and DNS use for the agent and its tasks (its --advertise, resolved); null: not given.</summary>
    public string? Address { get; init; }
    public required AgentResources Resources { get; init; }
    public IReadOnlyDictionary<string, string> Attributes { get; init; } = new Dictionary<string, string>();
    /// <summary>The agent's task drivers ("process", "docker"); absent (older agents) means process only.</summary>
    public IReadOnlyList<string>? Drivers { get; init; }
    /// <summary>Tasks the agent is running right now, so a restarted server (or agent) re-adopts them.</summary>
    public IReadOnlyList<TaskStatusReport> Tasks { get; init; } = [];
    /// <summary>Ports of the agent's ranges held by programs other than its tasks (see <see cref="AgentInfo.HeldPorts"/>).</summary>
    public IReadOnlyList<int>? HeldPorts { get; init; }
}

public sealed record AgentRegistered
{
    public required string AgentId { get; init; }
    /// <summary>The interval to heartbeat at; later heartbeats' answers may change it (HeartbeatAck.HeartbeatIntervalMs).</summary>
    public int HeartbeatIntervalMs { get; init; } = 1000;
    /// <summary>
    /// The address (ip:port) the server's DNS answers on, when it runs one; the agent points containers'
    /// resolvers at it when containers can reach it (see the Docker driver).
    /// </summary>
    public string? DnsEndpoint { get; init; }
}

/// <summary>A task's state as the agent sees it.</summary>
public sealed record TaskStatusReport
{
    public required string TaskId { get; init; }
    public required string AppId { get; init; }
    /// <summary>Marathon wire name, e.g. TASK_RUNNING, TASK_FAILED.</summary>
    public required string State { get; init; }
    public string? Version { get; init; }
    public string? Message { get; init; }
    public int? ExitCode { get; init; }
    public string? StartedAt { get; init; }
    public IReadOnlyList<int> Ports { get; init; } = [];
    public IReadOnlyList<HealthCheckResult> HealthCheckResults { get; init; } = [];
    public IReadOnlyList<ReadinessCheckResult> ReadinessCheckResults { get; init; } = [];
    /// <summary>
    /// Set when the launch failed because these of the task's ports were held by another program: the server
    /// adds them to the agent's held ports at once (not at the next heartbeat), so the replacement gets other
    /// ports, and does not count the failure against the app's launch backoff (the app did nothing wrong).
    /// </summary>
    public IReadOnlyList<int>? HeldPorts { get; init; }

    /// <summary>
    /// In a status report (not a heartbeat's list, which has the heartbeat's own): the agent process's run id and its
    /// report sequence when this picture of the task was taken (see <see cref="AgentHeartbeat.Seq"/>). Null from agents
    /// that do not stamp their reports.
    /// </summary>
    public string? Run { get; init; }

    /// <inheritdoc cref="Run"/>
    public long? Seq { get; init; }
}

/// <summary>Periodic full report; the server answers whether it still knows the agent.</summary>
public sealed record AgentHeartbeat
{
    public IReadOnlyList<TaskStatusReport> Tasks { get; init; } = [];
    /// <summary>The agent's current view of its held ports (all of them); null from an agent that does not look.</summary>
    public IReadOnlyList<int>? HeldPorts { get; init; }

    /// <summary>Random per agent process: sequence numbers compare only within one run.</summary>
    public string? Run { get; init; }

    /// <summary>
    /// One counter per agent run for heartbeats and status reports, taken when the report's picture is taken: the
    /// server ignores what a report says of a task that a report with a higher number already told it (requests may
    /// overtake each other on their way, through different connections or servers). Null: not stamped.
    /// </summary>
    public long? Seq { get; init; }
}

public sealed record HeartbeatAck
{
    /// <summary>False when the server does not know this agent (it must register again).</summary>
    public bool Known { get; init; } = true;
    /// <summary>The interval the server now asks for (it grows with the number of agents); 0: unchanged (an older server).</summary>
    public int HeartbeatIntervalMs { get; init; }
}

/// <summary>The whole set of tasks the server wants on this agent. Anything the agent runs that is not listed gets killed.</summary>
public sealed record AgentAssignments
{
    /// <summary>Opaque fingerprint of this set; pass it back to long-poll for the next change.</summary>
    public required string Fingerprint { get; init; }
    public IReadOnlyList<TaskAssignment> Tasks { get; init; } = [];
}

public sealed record TaskAssignment
{
    public required TaskSpec Spec { get; init; }
    /// <summary>True when the task must be stopped (SIGTERM, then SIGKILL after the grace period).</summary>
    public bool Kill { get; init; }
}
