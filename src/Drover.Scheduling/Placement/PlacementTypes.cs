using Drover.Core.Apps;
using Drover.Core.Cluster;

namespace Drover.Scheduling;

/// <summary>
/// What the placer sees: every known agent and every non-terminal task. All tasks consume their agent's
/// resources and host ports and count for the app's constraints and spread; only <see cref="AgentStatus.Active"/>
/// agents receive new tasks. Callers decide which tasks to include (the reconciler leaves out tasks on agents
/// that have been unreachable for longer than the app's unreachableStrategy allows).
/// </summary>
public sealed record ClusterView(IReadOnlyList<AgentInfo> Agents, IReadOnlyList<TaskRecord> Tasks)
{
    /// <summary>
    /// When set, what each agent's tasks hold (null: nothing) comes from here instead of from <see cref="Tasks"/>, which then
    /// only needs the tasks of the apps being placed (for their spread and constraints).
    /// </summary>
    public Func<string, AgentUsage?>? Usage { get; init; }
}

/// <summary>Place <paramref name="Count"/> more instances of <paramref name="App"/>.</summary>
public sealed record PlacementRequest(AppDefinition App, int Count);

/// <summary>One new instance: where it goes and the host ports reserved for it (one per port requirement, in order).</summary>
public sealed record Placement(string AppId, string AgentId, string Hostname, IReadOnlyList<int> HostPorts);

/// <summary>
/// Marathon's rejectSummary entry: <paramref name="Declined"/> agents were rejected for <paramref name="Reason"/>
/// out of <paramref name="Processed"/> considered.
/// </summary>
public sealed record RejectReason(string Reason, int Declined, int Processed);

/// <summary>Instances of an app that found no agent, with why each agent declined (an agent can decline for several reasons).</summary>
public sealed record UnplacedApp(string AppId, int Count, IReadOnlyList<RejectReason> Reasons, int Processed);

public sealed record PlacementResult(IReadOnlyList<Placement> Placements, IReadOnlyList<UnplacedApp> Unplaced)
{
    public int UnplacedCount
    {
        get
        {
            var n = 0;
            foreach (var u in Unplaced) n += u.Count;
            return n;
        }
    }
}

/// <summary>Reject reason names as Marathon shows them in /v2/queue.</summary>
public static class RejectReasons
{
    public const string InsufficientCpus = "InsufficientCpus";
    public const string InsufficientMemory = "InsufficientMemory";
    public const string InsufficientDisk = "InsufficientDisk";
    public const string InsufficientPorts = "InsufficientPorts";
    public const string UnfulfilledConstraint = "UnfulfilledConstraint";
    public const string AgentMaintenance = "AgentMaintenance";
    public const string NoActiveAgents = "NoActiveAgents";
    /// <summary>The agent has no driver for the app's tasks (e.g. a DOCKER app on an agent without Docker). Drover's own reason.</summary>
    public const string NoDriver = "NoDriver";
}
