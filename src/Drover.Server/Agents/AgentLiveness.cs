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
    private readonly DateTimeOffset _startedAt = time.GetUtcNow();

    public void Seen(string agentId) => _lastSeen[agentId] = time.GetUtcNow();

    public DateTimeOffset LastSeen(string agentId) => _lastSeen.TryGetValue(agentId, out var t) ? t : _startedAt;

    public void Forget(string agentId) => _lastSeen.TryRemove(agentId, out _);
}
