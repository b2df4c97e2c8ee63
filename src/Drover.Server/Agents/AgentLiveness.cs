using System.Collections.Concurrent;
using Drover.Core.Json;
using Drover.Scheduling.Liveness;
using Drover.State;
using Drover.Server.Storage;

namespace Drover.Server.Agents;

/// <summary>
/// The leader's heartbeat clocks: when each agent was last heard from. Heartbeats land here in memory (persisting each
/// would cost a write per agent per second); <see cref="AgentLivenessRecorder"/> stores the times that moved every few
/// seconds in one batch, and a new leader (or a restarted single server) seeds its clocks from them in
/// <see cref="StartTerm"/>, so an agent keeps only the grace it had left.
/// </summary>
public sealed class AgentLiveness(TimeProvider time, ServerOptions options)
{
    /// <summary>Heard this term (the truth, and what gets stored).</summary>
    private readonly ConcurrentDictionary<string, DateTimeOffset> _lastSeen = new(StringComparer.Ordinal);

    /// <summary>What the store holds (seeded at the term's start, then what this leader wrote).</summary>
    private readonly ConcurrentDictionary<string, DateTimeOffset> _stored = new(StringComparer.Ordinal);

    /// <summary>Where each agent's clock starts for agents not heard this term (<see cref="LivenessSeed.ClockStart"/>).</summary>
    private volatile IReadOnlyDictionary<string, DateTimeOffset> _seeded = new Dictionary<string, DateTimeOffset>();

    /// <summary>What the store said at the term's start: each agent's later of stored last-seen and registration time (null: neither).</summary>
    private volatile IReadOnlyDictionary<string, DateTimeOffset?> _known = new Dictionary<string, DateTimeOffset?>();

    private DateTimeOffset _startedAt = time.GetUtcNow();

    /// <summary>
    /// The order of the agents' reports this term. Kept with the clocks because <see cref="AgentLivenessRecorder"/>
    /// stores both in one record (the newest applied heartbeat's number rides with its time), and a term starts both afresh.
    /// </summary>
    public ReportOrder Order { get; } = new();

    public void Seen(string agentId) => _lastSeen[agentId] = time.GetUtcNow();

    /// <summary>The time the agent's grace counts from: heard this term, else seeded from the store, else the term's start.</summary>
    public DateTimeOffset LastSeen(string agentId) =>
        _lastSeen.TryGetValue(agentId, out var t) ? t : _seeded.TryGetValue(agentId, out var s) ? s : _startedAt;

    /// <summary>
    /// When the agent was really last heard from: this term, else the time the store held at the term's start (its
    /// last-seen or registration time), else null. Unlike <see cref="LastSeen"/> it is never the seeded clock start,
    /// which after a failover is only where the grace counts from; this is what an unreachable agent's lastSeenAt shows.
    /// </summary>
    public DateTimeOffset? TrueLastSeen(string agentId) =>
        _lastSeen.TryGetValue(agentId, out var t) ? t : _known.TryGetValue(agentId, out var k) ? k : null;

    /// <summary>
    /// A term begins (this server was elected, or a single server started) on <paramref name="state"/>, which holds
    /// everything its predecessor wrote: each agent's clock starts where <see cref="LivenessSeed.ClockStart"/> puts it,
    /// from the later of its stored last-seen time and its registration's (an agent registered just before the
    /// failover may not have been stored yet).
    /// </summary>
    public void StartTerm(StateSnapshot state)
    {
        var now = time.GetUtcNow();
        _stored.Clear();
        foreach (var a in state.All(Schema.AgentLastSeen))
            if (MarathonTime.TryParse(a.LastSeenAt, out var t)) _stored[a.AgentId] = t;
        var known = new Dictionary<string, DateTimeOffset?>(StringComparer.Ordinal);
        foreach (var agent in state.All(Schema.Agents))
        {
            DateTimeOffset? seen = _stored.TryGetValue(agent.Id, out var t) ? t : null;
            if (MarathonTime.TryParse(agent.LastSeenAt, out var registered) && (seen is null || registered > seen)) seen = registered;
            known[agent.Id] = seen;
        }
        // about when the previous leader last heard anyone: the time since then had no leader to listen, and is not counted
        var lastHeard = known.Values.Max() ?? now;
        var grace = options.AgentGrace(known.Count);
        var seeded = new Dictionary<string, DateTimeOffset>(known.Count, StringComparer.Ordinal);
        foreach (var (id, seen) in known) seeded[id] = LivenessSeed.ClockStart(seen, lastHeard, now, grace);
        _startedAt = now;
        _known = known;
        _seeded = seeded;
        _lastSeen.Clear();
        Order.Clear(); // the store, asked where memory says nothing, holds what the predecessor knew
    }

    /// <summary>Agents heard since what the store holds was written, with the time they were last heard.</summary>
    public IReadOnlyList<KeyValuePair<string, DateTimeOffset>> Moved() =>
        [.. _lastSeen.Where(kv => !_stored.TryGetValue(kv.Key, out var s) || kv.Value > s)];

    /// <summary>The store now holds these times (called once their write is durable).</summary>
    public void Stored(IEnumerable<KeyValuePair<string, DateTimeOffset>> written)
    {
        foreach (var (id, t) in written) _stored.AddOrUpdate(id, t, (_, old) => t > old ? t : old);
    }

    public void Forget(string agentId)
    {
        _lastSeen.TryRemove(agentId, out _);
        _stored.TryRemove(agentId, out _);
    }
}
