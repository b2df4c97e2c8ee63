using System.Collections.Concurrent;

namespace Drover.Server.Tasks;

/// <summary>Where recently ended tasks ran, so their sandbox logs stay reachable after the task record is gone.</summary>
public sealed class RecentTasks
{
    private const int Capacity = 2000;
    private readonly ConcurrentDictionary<string, (string AgentId, string AppId)> _map = new();
    private readonly ConcurrentQueue<string> _order = new();

    public void Remember(string taskId, string agentId, string appId)
    {
        if (_map.TryAdd(taskId, (agentId, appId))) _order.Enqueue(taskId);
        while (_order.Count > Capacity && _order.TryDequeue(out var old)) _map.TryRemove(old, out _);
    }

    public bool TryGet(string taskId, out string agentId, out string appId)
    {
        if (_map.TryGetValue(taskId, out var v)) { (agentId, appId) = v; return true; }
        agentId = appId = "";
        return false;
    }

    public IEnumerable<string> ForApp(string appId) => _map.Where(kv => kv.Value.AppId == appId).Select(kv => kv.Key);
}
