using Drover.Api.Agents;

namespace Drover.Agent;

/// <summary>
/// Numbers this agent process's heartbeats and status reports in the order their pictures are taken (AgentHeartbeat.Seq),
/// so the server can tell an older picture that arrives late from a newer one: the requests travel on different
/// connections, possibly through different servers, and overtake each other.
/// </summary>
internal sealed class ReportSequence
{
    /// <summary>Numbers start again with every process: they compare only within one run.</summary>
    public string Run { get; } = Guid.NewGuid().ToString("N");

    private long _last;

    /// <summary>Taken before the picture it numbers: a picture may then only be newer than its number says, never older.</summary>
    public long Next() => Interlocked.Increment(ref _last);

    /// <summary>
    /// A status report is numbered as it is queued, just after its picture was taken: a heartbeat numbered in that
    /// instant may show a newer state, which the report then overrides until the next heartbeat (as without numbers).
    /// </summary>
    public TaskStatusReport Stamp(TaskStatusReport report) => report with { Run = Run, Seq = Next() };
}
