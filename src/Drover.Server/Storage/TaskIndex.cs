using System.Collections.Immutable;
using Drover.Core.Cluster;
using Drover.State;

namespace Drover.Server.Storage;

/// <summary>
/// Tasks grouped by agent and by app, each group in task id order: a <see cref="SnapshotView{T}"/>, so the store
/// carries it from write to write by the tasks each write changed. Every agent's long poll and heartbeat, and every
/// reconcile pass, would otherwise scan all tasks on every state change.
/// </summary>
public static class TaskIndex
{
    /// <summary>One group (an agent's or an app's tasks) by task id; an unchanged group stays the same object from snapshot to snapshot.</summary>
    public sealed record Index(
        ImmutableDictionary<string, ImmutableSortedDictionary<string, TaskRecord>> ByAgent,
        ImmutableDictionary<string, ImmutableSortedDictionary<string, TaskRecord>> ByApp);

    private static readonly ImmutableSortedDictionary<string, TaskRecord> NoTasks =
        ImmutableSortedDictionary<string, TaskRecord>.Empty.WithComparers(StringComparer.Ordinal);

    private static readonly View Tasks = new();

    /// <summary>The agent's tasks in id order.</summary>
    public static IEnumerable<TaskRecord> OnAgent(StateSnapshot s, string agentId) => OfAgent(s, agentId).Values;

    /// <summary>The agent's tasks by id: the same object in two snapshots where none of them changed.</summary>
    public static ImmutableSortedDictionary<string, TaskRecord> OfAgent(StateSnapshot s, string agentId) =>
        Tasks.Get(s).ByAgent.GetValueOrDefault(agentId, NoTasks);

    /// <summary>The app's tasks in id order.</summary>
    public static IEnumerable<TaskRecord> OfApp(StateSnapshot s, string appId) =>
        Tasks.Get(s).ByApp.GetValueOrDefault(appId, NoTasks).Values;

    /// <summary>Every app's tasks by app id (apps without tasks are absent; an app deleted with tasks left is still there).</summary>
    public static ImmutableDictionary<string, ImmutableSortedDictionary<string, TaskRecord>> AppGroups(StateSnapshot s) => Tasks.Get(s).ByApp;

    /// <summary>Every agent's tasks by agent id (agents without tasks are absent).</summary>
    public static ImmutableDictionary<string, ImmutableSortedDictionary<string, TaskRecord>> AgentGroups(StateSnapshot s) => Tasks.Get(s).ByAgent;

    private sealed class View() : SnapshotView<Index>(Schema.Tasks.Name)
    {
        protected override Index Build(StateSnapshot s)
        {
            var all = s.All(Schema.Tasks).ToList();
            return new Index(Group(all, t => t.AgentId), Group(all, t => t.AppId));
        }

        private static ImmutableDictionary<string, ImmutableSortedDictionary<string, TaskRecord>> Group(List<TaskRecord> all, Func<TaskRecord, string> by) =>
            all.GroupBy(by, StringComparer.Ordinal).ToImmutableDictionary(g => g.Key,
                g => ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, g.Select(t => KeyValuePair.Create(t.Id, t))),
                StringComparer.Ordinal);

        protected override Index Update(Index before, StateSnapshot after, IReadOnlyList<SnapshotChange> changes)
        {
            var byAgent = new Groups(before.ByAgent);
            var byApp = new Groups(before.ByApp);
            foreach (var c in changes)
            {
                if (c.Before is { } old)
                {
                    var t = StateSnapshot.Decode(Schema.Tasks, old);
                    byAgent.Remove(t.AgentId, t.Id);
                    byApp.Remove(t.AppId, t.Id);
                }
                if (c.After is { } now)
                {
                    var t = StateSnapshot.Decode(Schema.Tasks, now);
                    byAgent.Put(t.AgentId, t);
                    byApp.Put(t.AppId, t);
                }
            }
            return new Index(byAgent.ToImmutable(), byApp.ToImmutable());
        }
    }

    /// <summary>Groups being changed: each touched group gets one builder, so a write's many changes to one group cost one copy of its path.</summary>
    private sealed class Groups(ImmutableDictionary<string, ImmutableSortedDictionary<string, TaskRecord>> before)
    {
        private readonly Dictionary<string, ImmutableSortedDictionary<string, TaskRecord>.Builder> _touched = new(StringComparer.Ordinal);

        private ImmutableSortedDictionary<string, TaskRecord>.Builder Of(string group)
        {
            if (!_touched.TryGetValue(group, out var b)) _touched[group] = b = before.GetValueOrDefault(group, NoTasks).ToBuilder();
            return b;
        }

        public void Remove(string group, string taskId) => Of(group).Remove(taskId);

        public void Put(string group, TaskRecord t) => Of(group)[t.Id] = t;

        public ImmutableDictionary<string, ImmutableSortedDictionary<string, TaskRecord>> ToImmutable()
        {
            var result = before.ToBuilder();
            foreach (var (group, b) in _touched)
            {
                if (b.Count == 0) result.Remove(group);
                else result[group] = b.ToImmutable();
            }
            return result.ToImmutable();
        }
    }
}
