namespace Drover.Scheduling.Liveness;

/// <summary>
/// Where a new leader starts each agent's heartbeat clock, from the last-seen time its predecessor stored: an agent last
/// seen T ago keeps only the rest of its grace (grace − T), not a fresh whole grace as Nomad gives on establishing
/// leadership. Otherwise an agent that died just before a failover is declared lost a whole grace late, and its tasks
/// are replaced that much later.
/// </summary>
public static class LivenessSeed
{
    /// <summary>
    /// However long ago an agent was last seen, a new leader waits this long before declaring it lost. A live agent's
    /// heartbeat may still be on its way to the old leader: it times out after at most 3 s (the agent's heartbeat call
    /// timeout, 3 × its 1 s interval) and the next one goes to the next server, which forwards it to the new leader; 5 s
    /// covers that with a second of slack, and it is short beside the default 10 s grace.
    /// </summary>
    public static readonly TimeSpan SettleWindow = TimeSpan.FromSeconds(5);

    /// <summary>
    /// The time from which the new leader counts <paramref name="grace"/> for an agent. Only the silence a leader could
    /// have heard counts: from the agent's stored last-seen time to <paramref name="lastHeard"/>, the newest last-seen
    /// time stored for any agent (about when the previous leader last heard anyone: it stores every 2 s). The time with
    /// no leader to listen (the election, or a single server's restart, which may take a while) is not the agents'
    /// fault, so it does not count, as Nomad and Mesos give agents a fresh window after a failover; an agent silent for
    /// T while a leader listened keeps only grace − T, but no less than <see cref="SettleWindow"/> (or the whole grace,
    /// when that is shorter). With nothing stored, or a stored time ahead of this server's clock (a skewed
    /// predecessor), the term's start: a fresh grace.
    /// </summary>
    public static DateTimeOffset ClockStart(DateTimeOffset? storedLastSeen, DateTimeOffset lastHeard, DateTimeOffset termStart, TimeSpan grace)
    {
        if (storedLastSeen is not { } seen || seen >= termStart) return termStart;
        var heard = lastHeard < seen ? seen : lastHeard > termStart ? termStart : lastHeard;
        var start = termStart - (heard - seen);
        var settle = grace < SettleWindow ? grace : SettleWindow;
        var earliest = termStart - grace + settle;
        return start > earliest ? start : earliest;
    }
}
