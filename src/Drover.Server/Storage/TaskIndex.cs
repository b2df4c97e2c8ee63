using System.Runtime.CompilerServices;
using Drover.Core.Cluster;
using Drover.State;

namespace Drover.Server.Storage;

/// <summary>
/// Tasks grouped by agent and by app, built once per snapshot and shared by every reader of it:
/// each agent's long poll and heartbeat would otherwise scan all tasks on every state change.
/// </summary>
public static class TaskIndex
{
    private sealed record Index(ILookup<string, TaskRecord> ByAgent, ILookup<string, TaskRecord> ByApp);

    private static readonly ConditionalWeakTable<StateSnapshot, Index> Cache = new();

    public static IEnumerable<TaskRecord> OnAgent(StateSnapshot s, string agentId) => Get(s).ByAgent[agentId];

    public static IEnumerable<TaskRecord> OfApp(StateSnapshot s, string appId) => Get(s).ByApp[appId];

    // keyed by the untracked snapshot, so a write's tracking view shares the index; the read is still recorded
    private static Index Get(StateSnapshot s)
    {
        s.RecordRead(Schema.Tasks.Name);
        return Cache.GetValue(s.Root, Build);
    }

    private static Index Build(StateSnapshot snap)
    {
        var all = snap.All(Schema.Tasks).ToList();
        return new Index(all.ToLookup(t => t.AgentId, StringComparer.Ordinal), all.ToLookup(t => t.AppId, StringComparer.Ordinal));
    }
}
