using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using Drover.Core.Apps;
using Drover.Core.Cluster;
using Drover.Scheduling;
using Drover.State;

namespace Drover.Server.Reconcile;

/// <summary>
/// What lets a reconcile pass cost what changed rather than the whole cluster: the apps the last plan found settled
/// (<see cref="ReconcilePlan.Settled"/>), each with the inputs it was planned on, and each agent's usage per unchanged
/// group of its tasks. Memory only, and only a shortcut: an entry counts while its app's definition, its task group
/// and the agents are the very objects it was planned on (the store hands out the same object while nothing in it
/// changed), so anything the store changes makes the app be planned again, and a new leader starts with none.
/// </summary>
public sealed class SettledApps
{
    private sealed record Entry(AppDefinition App, ImmutableSortedDictionary<string, TaskRecord>? Tasks, object Agents);

    private readonly Dictionary<string, Entry> _settled = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    /// <summary>Usage per agent task group: a group is immutable, so its usage is computed once, and dropped with it.</summary>
    private static readonly ConditionalWeakTable<ImmutableSortedDictionary<string, TaskRecord>, AgentUsage> Usage = new();

    /// <summary>True when <paramref name="app"/> was settled on exactly these tasks and agents.</summary>
    public bool Holds(AppDefinition app, ImmutableSortedDictionary<string, TaskRecord>? tasks, object agents)
    {
        lock (_lock)
        {
            return _settled.TryGetValue(app.Id, out var e) && ReferenceEquals(e.App, app) && ReferenceEquals(e.Tasks, tasks)
                && ReferenceEquals(e.Agents, agents);
        }
    }

    /// <summary>Notes <paramref name="app"/> settled on these tasks and agents (found so without a plan: Reconciler.IsSettled).</summary>
    public void Settle(AppDefinition app, ImmutableSortedDictionary<string, TaskRecord>? tasks, object agents)
    {
        lock (_lock) _settled[app.Id] = new Entry(app, tasks, agents);
    }

    /// <summary>Notes what a plan over <paramref name="planned"/> found: the settled ones are kept, the others dropped.</summary>
    public void Planned(IEnumerable<AppDefinition> planned, IReadOnlyList<string> settled,
        ImmutableDictionary<string, ImmutableSortedDictionary<string, TaskRecord>> groups, object agents, int appCount)
    {
        var ok = settled.ToHashSet(StringComparer.Ordinal);
        lock (_lock)
        {
            foreach (var app in planned)
            {
                if (ok.Contains(app.Id)) _settled[app.Id] = new Entry(app, groups.GetValueOrDefault(app.Id), agents);
                else _settled.Remove(app.Id);
            }
            // deleted apps' entries would otherwise stay: start over when there are clearly more than apps
            if (_settled.Count > 2 * appCount + 16) _settled.Clear();
        }
    }

    /// <summary>What the live tasks of <paramref name="group"/> (one agent's) hold, from its memo.</summary>
    public static AgentUsage UsageOf(ImmutableSortedDictionary<string, TaskRecord> group) =>
        Usage.GetValue(group, static g => AgentUsage.Of(g.Values));
}
