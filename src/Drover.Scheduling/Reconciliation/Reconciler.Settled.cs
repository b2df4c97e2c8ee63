using Drover.Core.Apps;
using Drover.Core.Cluster;

namespace Drover.Scheduling;

public static partial class Reconciler
{
    /// <summary>
    /// Whether <see cref="Plan"/> would report <paramref name="app"/> settled (<see cref="ReconcilePlan.Settled"/>) given its
    /// tasks, in one pass over them and without planning: every live task on an Active agent and of the current
    /// configuration, exactly the instances wanted besides those being killed, no launch backoff. A caller that finds
    /// it settled may leave it out of the plan's input.
    /// </summary>
    /// <param name="agentStatus">An agent's status by id; null for an agent that is not known.</param>
    public static bool IsSettled(AppDefinition app, IEnumerable<TaskRecord> tasks, Func<string, AgentStatus?> agentStatus, bool hasBackoff)
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentNullException.ThrowIfNull(tasks);
        ArgumentNullException.ThrowIfNull(agentStatus);
        if (hasBackoff) return false;
        var counted = 0;
        foreach (var t in tasks)
        {
            if (t.State.IsTerminal()) continue;
            if (agentStatus(t.AgentId) != AgentStatus.Active) return false; // what to do then depends on the time
            if (!AppVersions.IsCurrent(app, t.Version)) return false;      // an upgrade (or its kills) is under way
            if (!t.KillRequested) counted++;
        }
        return counted == Math.Max(0, app.Instances);
    }
}
