namespace Drover.Scheduling.Liveness;

/// <summary>
/// How often agents heartbeat and how long the server waits before calling one unreachable, scaled with the number of
/// agents as Nomad does (<c>max_heartbeats_per_second</c>, default 50: a node's heartbeat TTL is the larger of its
/// minimum and nodes ÷ 50 s). A heartbeat carries the agent's whole task list, so 10,000 agents at one a second would
/// be 10,000 requests and a million task states a second for the leader to read; spread to 50 a second, a heartbeat
/// is what it is for, liveness and a periodic full picture. News does not wait for it: agents send each change of a
/// task (its state, a health check's pass or fail, readiness) as a status report when it happens, as Mesos executors do.
/// </summary>
/// <remarks>
/// Up to <c>maxPerSecond</c> agents nothing changes (the base interval and grace). Beyond, the interval is
/// agents ÷ maxPerSecond, and the grace grows by two of the added intervals, so an agent is still lost only after
/// about as many missed heartbeats as before, plus the base grace.
/// </remarks>
public static class HeartbeatRate
{
    /// <summary>Nomad's default <c>max_heartbeats_per_second</c>.</summary>
    public const double DefaultMaxPerSecond = 50;

    /// <summary>The interval agents are asked to heartbeat at.</summary>
    public static TimeSpan Interval(int agents, TimeSpan baseInterval, double maxPerSecond)
    {
        var spread = TimeSpan.FromSeconds(Math.Max(0, agents) / maxPerSecond);
        return spread > baseInterval ? spread : baseInterval;
    }

    /// <summary>How long an agent may go unheard before it is unreachable: <paramref name="baseGrace"/> plus two of the intervals added by scaling.</summary>
    public static TimeSpan Grace(int agents, TimeSpan baseInterval, TimeSpan baseGrace, double maxPerSecond) =>
        baseGrace + 2 * (Interval(agents, baseInterval, maxPerSecond) - baseInterval);
}
