using Drover.Core.Cluster;
using Drover.Core.Json;
using Drover.State;
using Drover.Server.Storage;

namespace Drover.Server.Tasks;

/// <summary>
/// Recently ended tasks: where they ran, so their sandbox logs stay reachable after the task record is gone, and
/// their last record, so a later incarnation an agent started by itself while cut off can still be adopted when the
/// report of the earlier one's end overtook it (it was sent into the partition and delivered when the network came back).
/// </summary>
/// <remarks>
/// Kept in the store (<see cref="Schema.EndedTasks"/>), written in the batch that removes the task, so every
/// server, and a new leader, knows them. Keys sort by end time, so pruning the oldest is cheap; lookups by task id scan
/// (they serve log requests for ended tasks, which are rare).
/// </remarks>
public sealed class RecentTasks(StateWriter writer)
{
    /// <summary>Ended tasks kept; the reconcile pass deletes the oldest beyond this.</summary>
    public const int Capacity = 2000;

    public static string Key(DateTimeOffset endedAt, string taskId) => $"{endedAt.UtcTicks:D19}|{taskId}";

    /// <summary>The put that remembers <paramref name="task"/> as ended at <paramref name="at"/>.</summary>
    public static StateOp Ended(TaskRecord task, DateTimeOffset at) =>
        StateOp.Put(Schema.EndedTasks, Key(at, task.Id), new EndedTask { Task = task, EndedAt = MarathonTime.ToWire(at) });

    /// <summary>Deletes of the oldest ended tasks beyond <see cref="Capacity"/> (none while within it, so a pass that changes nothing writes nothing).</summary>
    public static IEnumerable<StateOp> Prune(StateSnapshot s)
    {
        var all = s.Entries(Schema.EndedTasks.Name);
        return all.Count <= Capacity ? [] : all.Keys.Take(all.Count - Capacity).Select(k => StateOp.Delete(Schema.EndedTasks, k)).ToList();
    }

    public bool TryGet(string taskId, out string agentId, out string appId)
    {
        var suffix = "|" + taskId;
        foreach (var e in writer.Current.Entries(Schema.EndedTasks.Name).Reverse())
        {
            if (!e.Key.EndsWith(suffix, StringComparison.Ordinal)) continue;
            var t = StateSnapshot.Decode(Schema.EndedTasks, e.Value).Task;
            (agentId, appId) = (t.AgentId, t.AppId);
            return true;
        }
        agentId = appId = "";
        return false;
    }

    /// <summary>Records of tasks that ended on <paramref name="agentId"/> since <paramref name="since"/>.</summary>
    public static IEnumerable<TaskRecord> EndedOn(StateSnapshot s, string agentId, DateTimeOffset since)
    {
        var from = Key(since, "");
        foreach (var e in s.Entries(Schema.EndedTasks.Name).Reverse())
        {
            if (string.CompareOrdinal(e.Key, from) < 0) yield break;
            var t = StateSnapshot.Decode(Schema.EndedTasks, e.Value).Task;
            if (t.AgentId == agentId) yield return t;
        }
    }
}
