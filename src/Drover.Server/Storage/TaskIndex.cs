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

    private static Index Get(StateSnapshot s) => Cache.GetValue(s, snap =>
    {
        var all = snap.All(Schema.Tasks).ToList();
        return new Index(all.ToLookup(t => t.AgentId, StringComparer.Ordinal), all.ToLookup(t => t.AppId, StringComparer.Ordinal));
    });
}
