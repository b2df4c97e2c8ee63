using System.Collections.Concurrent;

namespace Drover.Server.Agents;

/// <summary>
/// When each agent was last heard from. Kept in memory on purpose: persisting every heartbeat
/// would fsync once per agent per second. After a server restart every agent gets a fresh
/// timeout window, so a restart never declares healthy agents lost.
/// </summary>
public sealed class AgentLiveness(TimeProvider time)
{
    private readonly ConcurrentDictionary<string, DateTimeOffset> _lastSeen = new();
    private DateTimeOffset _startedAt = time.GetUtcNow();

    public void Seen(string agentId) => _lastSeen[agentId] = time.GetUtcNow();

    public DateTimeOffset LastSeen(string agentId) => _lastSeen.TryGetValue(agentId, out var t) ? t : _startedAt;

    /// <summary>
    /// A new leader's view: heartbeats went to the old one, so every agent gets a whole timeout from now (Nomad resets
    /// its heartbeat timers on establishing leadership the same way), and failover never declares live agents lost.
    /// </summary>
    public void StartGracePeriod()
    {
        _startedAt = time.GetUtcNow();
        _lastSeen.Clear();
    }

    public void Forget(string agentId) => _lastSeen.TryRemove(agentId, out _);
}
