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
    /// The time from which the new leader counts <paramref name="grace"/> for an agent: its stored last-seen time, but no
    /// earlier than leaves <see cref="SettleWindow"/> (or the whole grace, when that is shorter) from
    /// <paramref name="termStart"/>; with nothing stored, or a stored time ahead of this server's clock (a skewed
    /// predecessor), the term's start, that is a fresh grace.
    /// </summary>
    public static DateTimeOffset ClockStart(DateTimeOffset? storedLastSeen, DateTimeOffset termStart, TimeSpan grace)
    {
        if (storedLastSeen is not { } seen || seen >= termStart) return termStart;
        var settle = grace < SettleWindow ? grace : SettleWindow;
        var earliest = termStart - grace + settle;
        return seen > earliest ? seen : earliest;
    }
}
