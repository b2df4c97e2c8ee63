using Drover.Api.Agents;
using Drover.Core.Cluster;
using Drover.Core.Json;
using Drover.Server.Http;
using Drover.State;
using Drover.Server.Storage;

namespace Drover.Server.Agents;

/// <summary>Server side of the agent protocol: registration, heartbeats and task status reports.</summary>
public sealed class AgentService(StateWriter writer, AgentLiveness liveness, TimeProvider time, ServerLog log,
    Events.TaskEvents events, ServerOptions options)
{
    public async Task<AgentRegistered> RegisterAsync(AgentRegistration reg, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(reg.Hostname)) throw new ApiException(422, "hostname is required");
        if (reg.Address is { } address && !System.Net.IPAddress.TryParse(address, out _))
            throw new ApiException(422, $"address '{address}' is not an IP address");
        if (reg.Resources.Cpus < 0 || reg.Resources.MemMb < 0 || reg.Resources.DiskMb < 0)
            throw new ApiException(422, "resources must not be negative");
        if (reg.Resources.Ports.Any(r => r.Begin < 1 || r.End > 65535 || r.Begin > r.End))
            throw new ApiException(422, "port ranges must be within 1-65535 with begin ≤ end");
        if (reg.Drivers is { } drivers && drivers.Any(string.IsNullOrWhiteSpace))
            throw new ApiException(422, "driver names must not be empty");
        var id = string.IsNullOrWhiteSpace(reg.AgentId) ? $"{Guid.NewGuid():D}-S0" : reg.AgentId!;
        var now = MarathonTime.ToWire(time.GetUtcNow());
        await writer.UpdateAsync((s, after) =>
        {
            var existing = s.Get(Schema.Agents, id);
            var agent = new AgentInfo
            {
                Id = id,
                Hostname = reg.Hostname,
                Endpoint = reg.Endpoint,
                Address = reg.Address,
                Resources = reg.Resources,
                Attributes = reg.Attributes,
                HeldPorts = AgentHeldPorts.Normalize(reg.HeldPorts, reg.Resources.Ports) ?? existing?.HeldPorts ?? [],
                Drivers = reg.Drivers is { Count: > 0 } d ? [.. d.Distinct(StringComparer.Ordinal)] : TaskDrivers.Default,
                Status = existing?.ReachableStatus ?? AgentStatus.Active,
                Drain = existing?.Drain,
                RegisteredAt = existing?.RegisteredAt ?? now,
                LastSeenAt = now,
            };
            var ops = new List<StateOp>();
            var taskOps = TaskUpdates(s, id, reg.Tasks, fullReport: true, null, null, after, agent, a => agent = a, new(StringComparer.Ordinal)).ToList();
            ops.Add(StateOp.Put(Schema.Agents, id, agent));
            ops.AddRange(taskOps);
            return ops;
        }, ct);
        liveness.Seen(id);
        log.AgentRegistered(id, reg.Hostname, reg.Endpoint ?? "-", reg.Tasks.Count);
        return new AgentRegistered { AgentId = id, HeartbeatIntervalMs = HeartbeatIntervalMs() };
    }

    /// <param name="heldPorts">The agent's whole current list of held ports; null leaves the stored list alone.</param>
    /// <param name="run">With <paramref name="seq"/>: the heartbeat's place among the agent's reports (<see cref="ReportOrder"/>).</param>
    public async Task<HeartbeatAck> HeartbeatAsync(string agentId, IReadOnlyList<TaskStatusReport> reports, CancellationToken ct, IReadOnlyList<int>? heldPorts = null,
        string? run = null, long? seq = null)
    {
        var ack = await ApplyAsync(agentId, reports, fullReport: true, heldPorts, run, seq, ct).ConfigureAwait(false);
        return ack.Known ? ack with { HeartbeatIntervalMs = HeartbeatIntervalMs() } : ack;
    }

    /// <summary>The interval agents are asked to heartbeat at now: it grows with their number (<see cref="ServerOptions.HeartbeatInterval"/>).</summary>
    private int HeartbeatIntervalMs() => (int)options.HeartbeatInterval(writer.Current.Entries(Schema.Agents.Name).Count).TotalMilliseconds;

    /// <summary>Status changes; each report may carry its own place among the agent's reports (TaskStatusReport.Run/Seq).</summary>
    public Task<HeartbeatAck> ReportAsync(string agentId, IReadOnlyList<TaskStatusReport> reports, CancellationToken ct) =>
        ApplyAsync(agentId, reports, fullReport: false, heldPorts: null, reports.FirstOrDefault(r => r.Run is not null)?.Run, null, ct);

    private readonly ReportBatcher _batcher = new(writer);

    private async Task<HeartbeatAck> ApplyAsync(string agentId, IReadOnlyList<TaskStatusReport> reports, bool fullReport, IReadOnlyList<int>? heldPorts,
        string? run, long? fullSeq, CancellationToken ct)
    {
        if (writer.Current.Get(Schema.Agents, agentId) is null) return new HeartbeatAck { Known = false };
        liveness.Seen(agentId);
        var heartbeatSeq = fullReport ? fullSeq ?? 0 : (long?)null;
        var now = MarathonTime.ToWire(time.GetUtcNow());
        // Most heartbeats change nothing: found so on the latest snapshot, they need neither the writer nor a place in
        // a batch (a write decided later, on a newer snapshot, could only find less to do).
        if (!ChangesAnything(writer.Current))
        {
            liveness.Order.Applied(agentId, run, heartbeatSeq, reports); // the store already shows what it says
            return new HeartbeatAck();
        }
        ct.ThrowIfCancellationRequested();
        await _batcher.SubmitAsync(agentId, reports.Count, Decide).ConfigureAwait(false);
        return new HeartbeatAck();

        // The first change is enough to know: no op is built past it, and no event is rendered for a decision thrown away
        // (every status report used to be decided in full twice). Every effect of a decision comes with an op.
        bool ChangesAnything(StateSnapshot s)
        {
            var agent = s.Get(Schema.Agents, agentId);
            if (agent is null) return false;
            if (EndsAbsence(agent) || NewHeldPorts(agent) is not null) return true;
            return TaskUpdates(s, agentId, reports, fullReport, run, fullSeq, new WriteEffects(), agent, _ => { }, new()).Any();
        }

        // Only a full report ends an agent's absence: it names every task the agent runs, including those it
        // restarted while cut off. A partial report queued during the partition may arrive first; reconciling
        // on it would settle the surplus from a picture without those restarts (and kill the wrong tasks).
        bool EndsAbsence(AgentInfo agent) => agent.Status == AgentStatus.Unreachable && fullReport;

        // the ports a heartbeat says programs that are not tasks hold, when they differ from what the agent's record says
        IReadOnlyList<int>? NewHeldPorts(AgentInfo agent) =>
            AgentHeldPorts.Normalize(heldPorts, agent.Resources.Ports) is { } held && !held.SequenceEqual(agent.HeldPorts) ? held : null;

        IEnumerable<StateOp> Decide(StateSnapshot s, WriteEffects after, ReportBatcher.Batch batch)
        {
            var agent = s.Get(Schema.Agents, agentId);
            if (agent is null) return [];
            var ops = new List<StateOp>();
            var updated = agent;
            if (EndsAbsence(agent))
            {
                updated = updated with { Status = agent.ReachableStatus, LastSeenAt = now };
                after.Add(() => log.AgentReconnected(agentId, agent.Hostname));
            }
            if (NewHeldPorts(agent) is { } held) updated = updated with { HeldPorts = held };
            ops.AddRange(TaskUpdates(s, agentId, reports, fullReport, run, fullSeq, after, updated, a => updated = a, batch.Backoffs).ToList());
            after.Add(() => liveness.Order.Applied(agentId, run, heartbeatSeq, reports));
            if (!ReferenceEquals(updated, agent))
            {
                var nowHeld = updated.HeldPorts;
                if (!nowHeld.SequenceEqual(agent.HeldPorts)) after.Add(() => log.AgentHeldPorts(agentId, agent.Hostname, string.Join(",", nowHeld)));
                ops.Insert(0, StateOp.Put(Schema.Agents, agentId, updated));
            }
            return ops;
        }
    }

    /// <summary>Ops that bring stored tasks in line with what the agent reports. Terminal reports remove the task.</summary>
    /// <remarks>
    /// Events are added to the write (<paramref name="after"/>); a failure's launch backoff and the record of an ended
    /// task are among the ops: a refused write must not delay an app or remember a task as ended.
    /// </remarks>
    /// <remarks>
    /// A launch that failed on held ports updates the agent (through <paramref name="setAgent"/>, starting from
    /// <paramref name="agent"/>) in the same write, so the next placement already avoids those ports.
    /// </remarks>
    /// <param name="backoffs">Launch backoffs set earlier in the same batch (by app id), updated here.</param>
    /// <param name="run">The agent run of a stamped report, and <paramref name="fullSeq"/> a heartbeat's number: what a
    /// newer report already told (<see cref="ReportOrder"/>) is not undone, and a task it told of is not lost for missing here.</param>
    private IEnumerable<StateOp> TaskUpdates(StateSnapshot s, string agentId, IReadOnlyList<TaskStatusReport> reports, bool fullReport, string? run, long? fullSeq,
        WriteEffects after,
        AgentInfo agent, Action<AgentInfo> setAgent, Dictionary<string, Scheduling.LaunchBackoff> backoffs)
    {
        var now = time.GetUtcNow();
        if (fullReport)
        {
            // A task the agent should run but does not know (it was restarted without its tasks, or
            // they died while it was down) is lost. Staging tasks may simply not have reached it yet.
            var reported = reports.Select(r => r.TaskId).ToHashSet();
            reports = [.. reports, .. TaskIndex.OnAgent(s, agentId)
                .Where(t => !reported.Contains(t.Id) && t.State != TaskState.Staging && StagedLongAgo(t, now) && !liveness.Order.IsStale(s, agentId, run, fullSeq, t.Id, t))
                .Select(t => new TaskStatusReport { TaskId = t.Id, AppId = t.AppId, State = "TASK_LOST", Message = "the agent does not run this task any more" })];
        }
        // a heartbeat's list is a picture taken with the heartbeat: its own number counts, whatever its entries carry
        string? ReportRun(TaskStatusReport r) => fullReport || r.Run == run ? run : r.Run; // the request's one string where equal
        long? ReportSeq(TaskStatusReport r) => fullReport ? fullSeq : r.Seq;
        foreach (var r in reports)
        {
            if (!TaskStates.TryParseWire(r.State, out var state)) continue;
            // an end is news whenever it comes (a task id never runs again); anything else may be older than what we know
            var t = s.Get(Schema.Tasks, r.TaskId);
            if (!state.IsTerminal() && liveness.Order.IsStale(s, agentId, ReportRun(r), ReportSeq(r), r.TaskId, t)) continue;
            if (t is null && !state.IsTerminal() && LocalRestarts.Adopt(s, agentId, r, state, now) is { } adopted)
            {
                // restarted by the agent while it was cut off: this incarnation takes the place of the one we knew
                var task = liveness.Order.Stamped(agentId, adopted.Task, ReportRun(r), ReportSeq(r));
                yield return StateOp.Delete(Schema.Tasks, adopted.Predecessor.Id);
                yield return StateOp.Put(Schema.Tasks, task.Id, task);
                var (predecessor, message) = (adopted.Predecessor, r.Message);
                after.Add(() => log.TaskAdopted(task.Id, predecessor.Id, task.AppId, task.Host));
                events.StatusChanged(after, task, task.State, message);
                continue;
            }
            if (t is null || t.AgentId != agentId) continue; // unknown tasks are not assigned, so the agent kills them
            if (state.IsTerminal())
            {
                yield return StateOp.Delete(Schema.Tasks, t.Id);
                yield return Tasks.RecentTasks.Ended(t, now);
                var failed = state is TaskState.Failed or TaskState.Error or TaskState.Finished or TaskState.Lost or TaskState.Dropped;
                var ended = t;
                var message = r.Message;
                var wire = r.State;
                after.Add(() => log.TaskEnded(ended.Id, ended.AppId, wire, message ?? ""));
                events.StatusChanged(after, ended, state, message);
                if (message?.StartsWith("health check failed", StringComparison.Ordinal) == true)
                    events.UnhealthyKilled(after, ended, message);
                var portsHeld = AgentHeldPorts.Normalize(r.HeldPorts, agent.Resources.Ports) is { Count: > 0 } held ? held : null;
                if (portsHeld is not null)
                {
                    agent = agent with { HeldPorts = [.. agent.HeldPorts.Union(portsHeld).Order()] };
                    setAgent(agent);
                }
                if (failed && !t.KillRequested)
                {
                    // Not the app's fault: its replacement goes to other ports at once, without a launch delay.
                    // the backoff is written with the failure, so it survives a failover (and a refused write sets none)
                    if (portsHeld is null && BackoffWrites.OnTaskFailed(s, t.AppId, t.Version, backoffs.GetValueOrDefault(t.AppId), now) is { } backoff)
                    {
                        backoffs[t.AppId] = backoff;
                        yield return StateOp.Put(Schema.LaunchBackoffs, t.AppId, backoff);
                    }
                    yield return StateOp.Put(Schema.TaskFailures, t.AppId, new TaskFailureRecord
                    {
                        AppId = t.AppId, TaskId = t.Id, Host = t.Host, AgentId = agentId, State = r.State,
                        Message = r.Message ?? "", Timestamp = MarathonTime.ToWire(now), Version = t.Version,
                    });
                }
                continue;
            }
            var updated = t with
            {
                State = t.KillReleased && state == TaskState.Running ? TaskState.Killing : state,
                StartedAt = t.StartedAt ?? (state == TaskState.Running ? r.StartedAt ?? MarathonTime.ToWire(now) : null),
                HealthCheckResults = r.HealthCheckResults,
                ReadinessCheckResults = ReadinessResults.Merge(t.ReadinessCheckResults, r.ReadinessCheckResults),
                Message = r.Message,
            };
            if (SameStatus(t, updated)) continue; // the report's place is not worth a write of its own: memory knows it
            updated = liveness.Order.Stamped(agentId, updated, ReportRun(r), ReportSeq(r)); // rides in the write that applies the report
            yield return StateOp.Put(Schema.Tasks, t.Id, updated);
            var (before, now2) = (t, updated);
            if (before.State != now2.State) events.StatusChanged(after, now2, now2.State, now2.Message);
            var app = s.Get(Schema.Apps, t.AppId);
            events.HealthChanged(after, before, now2, app);
        }
    }

    /// <summary>A report sent just before the agent learned of a task must not make it "lost": allow for reports in flight.</summary>
    private static bool StagedLongAgo(TaskRecord t, DateTimeOffset now) =>
        MarathonTime.TryParse(t.StagedAt, out var staged) && now - staged > TimeSpan.FromSeconds(10);

    /// <summary>Health timestamps move on every check; only state, pass/fail and ready changes are worth a durable write.</summary>
    private static bool SameStatus(TaskRecord a, TaskRecord b)
    {
        if (a.State != b.State || a.StartedAt != b.StartedAt || a.Message != b.Message) return false;
        if (a.HealthCheckResults.Count != b.HealthCheckResults.Count) return false;
        for (var i = 0; i < a.HealthCheckResults.Count; i++)
        {
            var (x, y) = (a.HealthCheckResults[i], b.HealthCheckResults[i]);
            if (x.Alive != y.Alive || x.Status != y.Status || x.ConsecutiveFailures != y.ConsecutiveFailures || x.FirstSuccess != y.FirstSuccess) return false;
        }
        if (a.ReadinessCheckResults.Count != b.ReadinessCheckResults.Count) return false;
        for (var i = 0; i < a.ReadinessCheckResults.Count; i++)
        {
            var (x, y) = (a.ReadinessCheckResults[i], b.ReadinessCheckResults[i]);
            if (x.Name != y.Name || x.Ready != y.Ready || x.LastResponse?.Status != y.LastResponse?.Status) return false;
        }
        return true;
    }

}

/// <summary>Held ports as the server stores them: within the agent's ranges, sorted, no duplicates.</summary>
internal static class AgentHeldPorts
{
    /// <summary>At most this many are kept: a host whose whole range is taken needs no longer list to be unusable.</summary>
    public const int Max = 4096;

    public static IReadOnlyList<int>? Normalize(IReadOnlyList<int>? reported, IReadOnlyList<PortRange> ranges) =>
        reported is null ? null
        : [.. reported.Where(p => ranges.Any(r => r.Contains(p))).Distinct().Order().Take(Max)];
}
