using System.Collections.Concurrent;
using Drover.Api.Agents;
using Drover.Core.Cluster;
using Drover.Server.Storage;
using Drover.State;

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
/// later is decided after the newer one's numbers are in. Unstamped reports are never stale.
/// <para>
/// Memory is the fast path, and the only one that knows reports that changed nothing (and so wrote nothing). The store
/// is what a new leader starts from: each task record carries the place of the newest report written into it
/// (<see cref="TaskRecord.ReportRun"/>/<see cref="TaskRecord.ReportSeq"/>, in the same write), and the agent's
/// last-seen record the newest applied heartbeat (<see cref="AgentLastSeen.HeartbeatRun"/>, written by
/// AgentLivenessRecorder with the heartbeat times). <see cref="IsStale(StateSnapshot, string, string?, long?, string, TaskRecord?)"/>
/// asks the store whenever memory does not already say stale: knowing the agent's run does not make memory complete
/// (a new leader that applied one status report of the run knows nothing of the numbers its predecessor wrote for
/// the other tasks). What the store cannot know: heartbeats of the last flush interval before a failover, and reports
/// that changed nothing; such an overtaken report is still taken as it comes by a new leader.
/// </para>
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

    /// <summary>True when a report of the same run with a higher number than <paramref name="seq"/> already told of the task (memory only).</summary>
    public bool IsStale(string agentId, string? run, long? seq, string taskId)
    {
        if (run is null || seq is not { } n || !_agents.TryGetValue(agentId, out var a) || a.Run != run) return false;
        lock (a) return n < Math.Max(a.Full, a.Tasks.GetValueOrDefault(taskId));
    }

    /// <summary>
    /// <see cref="IsStale(string, string?, long?, string)"/>, then the same rule on what the store
    /// <paramref name="s"/> recorded: the task's newest written report and the agent's newest stored heartbeat.
    /// </summary>
    /// <param name="stored">The task's record in <paramref name="s"/> (null: none), which the caller has read anyway.</param>
    public bool IsStale(StateSnapshot s, string agentId, string? run, long? seq, string taskId, TaskRecord? stored)
    {
        if (IsStale(agentId, run, seq, taskId)) return true;
        if (run is null || seq is not { } n) return false;
        // Read untracked (Root): a write decided here must not carry a precondition on agent-last-seen, which the
        // liveness flush rewrites every few seconds. Safe: within a run the flush only raises the number, and only to
        // what this leader's memory holds, which the line above already asked.
        if (s.Root.Get(Schema.AgentLastSeen, agentId) is { HeartbeatSeq: { } full } seen && seen.HeartbeatRun == run && n < full) return true;
        return stored is { ReportSeq: { } told } && stored.AgentId == agentId && stored.ReportRun == run && n < told;
    }

    /// <summary>
    /// The task as written from a report stamped <paramref name="run"/>/<paramref name="seq"/>: it records the report's
    /// place (an unstamped report leaves the place it had). Only reports found not stale are written, so it never goes back.
    /// </summary>
    public TaskRecord Stamped(string agentId, TaskRecord t, string? run, long? seq)
    {
        if (run is null || seq is null) return t;
        // one string per agent run in the records this server writes, not a copy per task (a million tasks, ~90 MB)
        if (_agents.TryGetValue(agentId, out var a) && a.Run == run) run = a.Run;
        return t with { ReportRun = run, ReportSeq = seq };
    }

    /// <summary>
    /// The heartbeat numbers the agent's last-seen record should carry, given what it holds: this leader's newest
    /// applied heartbeat where it has one (its run is the one last heard; within a run the higher number), else the
    /// stored ones, so a new leader that has not applied a heartbeat of the agent yet does not erase them.
    /// </summary>
    public (string? Run, long? Seq) HeartbeatToStore(string agentId, AgentLastSeen? stored)
    {
        if (!_agents.TryGetValue(agentId, out var a)) return (stored?.HeartbeatRun, stored?.HeartbeatSeq);
        long full;
        lock (a) full = a.Full;
        if (full == 0) return (stored?.HeartbeatRun, stored?.HeartbeatSeq);
        return stored?.HeartbeatRun == a.Run && stored.HeartbeatSeq > full ? (a.Run, stored.HeartbeatSeq) : (a.Run, full);
    }

    /// <summary>A new term: memory starts empty, from the store (what an earlier term of this server knew may be older than it).</summary>
    public void Clear() => _agents.Clear();
}
