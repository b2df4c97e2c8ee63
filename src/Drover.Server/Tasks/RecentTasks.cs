using System.Collections.Concurrent;
using Drover.Core.Cluster;

namespace Drover.Server.Tasks;

/// <summary>
/// Recently ended tasks: where they ran, so their sandbox logs stay reachable after the task record is gone, and
/// their last record, so a later incarnation an agent started by itself while cut off can still be adopted when the
/// report of the earlier one's end overtook it (it was sent into the partition and delivered when the network came back).
/// </summary>
public sealed class RecentTasks
{
    private const int Capacity = 2000;
    private readonly ConcurrentDictionary<string, (string AgentId, string AppId, TaskRecord? Record, DateTimeOffset? EndedAt)> _map = new();
    private readonly ConcurrentQueue<string> _order = new();

    public void Remember(string taskId, string agentId, string appId) => Add(taskId, (agentId, appId, null, null));

    /// <summary>Remembers a task whose end an agent reported, with its last record.</summary>
    public void Ended(TaskRecord task, DateTimeOffset at) => Add(task.Id, (task.AgentId, task.AppId, task, at));

    private void Add(string taskId, (string, string, TaskRecord?, DateTimeOffset?) value)
    {
        if (_map.TryAdd(taskId, value)) _order.Enqueue(taskId);
        while (_order.Count > Capacity && _order.TryDequeue(out var old)) _map.TryRemove(old, out _);
    }

    public bool TryGet(string taskId, out string agentId, out string appId)
    {
        if (_map.TryGetValue(taskId, out var v)) { (agentId, appId) = (v.AgentId, v.AppId); return true; }
        agentId = appId = "";
        return false;
    }

    /// <summary>Records of tasks that ended on <paramref name="agentId"/> since <paramref name="since"/>.</summary>
    public IEnumerable<TaskRecord> EndedOn(string agentId, DateTimeOffset since) =>
        _map.Values.Where(v => v.AgentId == agentId && v.Record is not null && v.EndedAt >= since).Select(v => v.Record!);

    public IEnumerable<string> ForApp(string appId) => _map.Where(kv => kv.Value.AppId == appId).Select(kv => kv.Key);
}
