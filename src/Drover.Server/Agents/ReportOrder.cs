using System.Collections.Concurrent;
using Drover.Api.Agents;

namespace Drover.Server.Agents;

/// <summary>
/// Orders each agent's reports by the sequence numbers the agent stamps on them (AgentHeartbeat.Seq,
/// TaskStatusReport.Seq), whatever order they arrive in: a heartbeat whose picture was taken before a status report can
/// reach the server after it (another connection, another server forwarding it), and must then neither undo the
/// report's news nor call its task lost for missing from the older picture.
/// </summary>
/// <remarks>
/// A report counts once what it said is durable (<see cref="Applied"/>, a write's effect), never on arrival: a status
/// report skipped for a newer heartbeat still in flight would be acknowledged while the store did not show it yet.
/// Reports of one agent are written in arrival order, one per batch (ReportBatcher), so an older one that arrives
/// later is decided after the newer one's numbers are in. Memory only, on the leader: after a failover the first
/// reports are taken as they come, as before. Unstamped reports are never stale.
/// </remarks>
public sealed class ReportOrder
{
    private sealed class AgentReports(string run)
    {
        public string Run { get; } = run;

        /// <summary>The newest full report (heartbeat): it told the state of every task of the agent.</summary>
        public long Full { get; set; }

        /// <summary>The newest status report per task, where newer than <see cref="Full"/>.</summary>
        public Dictionary<string, long> Tasks { get; } = new(StringComparer.Ordinal);
    }

    private readonly ConcurrentDictionary<string, AgentReports> _agents = new(StringComparer.Ordinal);

    /// <summary>Notes the numbers of a report now durable: a heartbeat (<paramref name="heartbeatSeq"/> set) or a status report.</summary>
    public void Applied(string agentId, string? run, long? heartbeatSeq, IReadOnlyList<TaskStatusReport> reports)
    {
        if (run is null) return;
        var a = _agents.AddOrUpdate(agentId, _ => new AgentReports(run), (_, old) => old.Run == run ? old : new AgentReports(run));
        lock (a)
        {
            if (heartbeatSeq is { } full)
            {
                if (full <= a.Full) return;
                a.Full = full;
                foreach (var id in a.Tasks.Where(kv => kv.Value <= full).Select(kv => kv.Key).ToList()) a.Tasks.Remove(id);
                return;
            }
            foreach (var r in reports)
                if (r.Run == run && r.Seq is { } seq && seq > Math.Max(a.Full, a.Tasks.GetValueOrDefault(r.TaskId)))
                    a.Tasks[r.TaskId] = seq;
        }
    }

    /// <summary>True when a report of the same run with a higher number than <paramref name="seq"/> already told of the task.</summary>
    public bool IsStale(string agentId, string? run, long? seq, string taskId)
    {
        if (run is null || seq is not { } n || !_agents.TryGetValue(agentId, out var a) || a.Run != run) return false;
        lock (a) return n < Math.Max(a.Full, a.Tasks.GetValueOrDefault(taskId));
    }
}
