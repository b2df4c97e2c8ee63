using System.Collections.Concurrent;
using Drover.Api.LoadBalancing;
using Drover.Core.Json;
using Drover.Scheduling;

namespace Drover.Server.LoadBalancing;

/// <summary>
/// The load balancers following this server, with the lb-state index each has applied. Kept in memory, like agent
/// liveness: a heartbeat is not cluster state, and writing it to the store would move the index every lb watches.
/// After a server restart or a failover lbs re-register with their next heartbeat; a new leader's kills wait for that
/// (<see cref="StartGracePeriod"/>), then go ahead undrained if no lb came (which is what happens without lbs).
/// </summary>
public sealed class LbRegistry(ServerOptions options, TimeProvider time)
{
    private sealed record Registration(string Id, long AppliedIndex, string? Group, DateTimeOffset LastSeen);

    private readonly ConcurrentDictionary<string, Registration> _lbs = new(StringComparer.Ordinal);
    private long _graceUntilTicks;

    /// <summary>Raised after a heartbeat or deregistration, so held kills are looked at again at once.</summary>
    public event Action? Changed;

    public TimeSpan HeartbeatInterval => options.LbHeartbeatInterval;

    public LbInstance Heartbeat(string id, LbHeartbeat hb)
    {
        var reg = _lbs.AddOrUpdate(id,
            _ => new Registration(id, hb.AppliedIndex, hb.Group, time.GetUtcNow()),
            // an lb restarted from scratch may report a lower index: it has applied that much, no more
            (_, _) => new Registration(id, hb.AppliedIndex, hb.Group, time.GetUtcNow()));
        Changed?.Invoke();
        return View(reg, time.GetUtcNow());
    }

    /// <summary>
    /// A new leader knows no lb until each heartbeats it (every <see cref="HeartbeatInterval"/>): for two intervals
    /// from the start of its term, "no lb registered" means "not heard yet", and held kills wait instead of going
    /// ahead undrained — the lb counterpart of the agents' grace period after failover.
    /// </summary>
    public void StartGracePeriod() => Interlocked.Exchange(ref _graceUntilTicks, (time.GetUtcNow() + HeartbeatInterval * 2).UtcTicks);

    /// <summary>True while a new leader waits for lbs to register again (see <see cref="StartGracePeriod"/>).</summary>
    public bool AwaitingRegistrations(DateTimeOffset now) => _lbs.IsEmpty && now.UtcTicks < Interlocked.Read(ref _graceUntilTicks);

    public bool Deregister(string id)
    {
        var removed = _lbs.TryRemove(id, out _);
        if (removed) Changed?.Invoke();
        return removed;
    }

    /// <summary>Every registered lb, live or not (liveness is the decision's to judge, with its own clock reading).</summary>
    public IReadOnlyList<LbInstanceView> Views() =>
        [.. _lbs.Values.Select(r => new LbInstanceView(r.Id, r.AppliedIndex, r.LastSeen, HeartbeatInterval))];

    public LbInstances List()
    {
        var now = time.GetUtcNow();
        // lbs gone for a long while are forgotten, so the list does not grow with every lb ever started
        foreach (var r in _lbs.Values)
        {
            if (now - r.LastSeen > HeartbeatInterval * 100) _lbs.TryRemove(r.Id, out _);
        }
        return new LbInstances { Instances = [.. _lbs.Values.OrderBy(r => r.Id, StringComparer.Ordinal).Select(r => View(r, now))] };
    }

    private LbInstance View(Registration r, DateTimeOffset now) => new()
    {
        Id = r.Id,
        AppliedIndex = r.AppliedIndex,
        Group = r.Group,
        LastSeenAt = MarathonTime.ToWire(r.LastSeen),
        HeartbeatIntervalSeconds = HeartbeatInterval.TotalSeconds,
        Live = new LbInstanceView(r.Id, r.AppliedIndex, r.LastSeen, HeartbeatInterval).IsLive(now),
    };
}
