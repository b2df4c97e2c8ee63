namespace Drover.Core.Cluster;

/// <summary>
/// One task instance as the server knows it. Only non-terminal tasks are kept; a terminal status
/// removes the record (and may set the app's lastTaskFailure).
/// </summary>
public sealed record TaskRecord
{
    public required string Id { get; init; }
    public required string AppId { get; init; }
    public required string AgentId { get; init; }
    public required string Host { get; init; }
    public TaskState State { get; init; } = TaskState.Staging;
    /// <summary>The app version this task runs.</summary>
    public required string Version { get; init; }
    public required string StagedAt { get; init; }
    public string? StartedAt { get; init; }
    public IReadOnlyList<int> Ports { get; init; } = [];
    public double Cpus { get; init; }
    public double MemMb { get; init; }
    public double DiskMb { get; init; }
    /// <summary>Set when the server wants the task gone; the agent kills it and reports a terminal state.</summary>
    public bool KillRequested { get; init; }
    /// <summary>
    /// With <see cref="KillRequested"/>: the kill is held until every live load balancer has taken the task out of
    /// rotation (or the app's drain timeout passes); the agent is told to kill only once this is false again.
    /// </summary>
    public bool Draining { get; init; }
    /// <summary>When draining began (Marathon time format); kept after the drain ends, for the record.</summary>
    public string? DrainStartedAt { get; init; }
    /// <summary>What the agent acts on: the kill, once no load balancer drain holds it.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public bool KillReleased => KillRequested && !Draining;
    public IReadOnlyList<HealthCheckResult> HealthCheckResults { get; init; } = [];
    /// <summary>One per readiness check of the task's version, once checked; a ready result stays ready.</summary>
    public IReadOnlyList<ReadinessCheckResult> ReadinessCheckResults { get; init; } = [];
    public string? Message { get; init; }
    /// <summary>
    /// Its agent was unreachable at some point while the task ran (or it continues, as a later incarnation, a task
    /// that was). When the agent comes back and the app has too many instances, this tells returning tasks from
    /// their replacements (label DROVER_UNREACHABLE_KEEP).
    /// </summary>
    public bool WasUnreachable { get; init; }
    /// <summary>
    /// With <see cref="ReportSeq"/>: the place among its agent's reports (agent run, report number) of the newest report
    /// written into this record, so a new leader still knows an older report that arrives later for stale (the
    /// server's ReportOrder). Set by the same write that applies the report; null for unstamped reports. Internal to
    /// the store: the Marathon task view is built field by field and never shows it.
    /// </summary>
    public string? ReportRun { get; init; }
    /// <inheritdoc cref="ReportRun"/>
    public long? ReportSeq { get; init; }
}

/// <summary>Mesos task states, as Marathon names them on the wire (TASK_*).</summary>
public enum TaskState
{
    Staging, Starting, Running, Killing, Unreachable,
    Finished, Failed, Killed, Error, Lost, Gone, Dropped, Unknown,
}

public static class TaskStates
{
    public static bool IsTerminal(this TaskState s) => s >= TaskState.Finished;

    public static string ToWire(this TaskState s) => s switch
    {
        TaskState.Staging => "TASK_STAGING",
        TaskState.Starting => "TASK_STARTING",
        TaskState.Running => "TASK_RUNNING",
        TaskState.Killing => "TASK_KILLING",
        TaskState.Unreachable => "TASK_UNREACHABLE",
        TaskState.Finished => "TASK_FINISHED",
        TaskState.Failed => "TASK_FAILED",
        TaskState.Killed => "TASK_KILLED",
        TaskState.Error => "TASK_ERROR",
        TaskState.Lost => "TASK_LOST",
        TaskState.Gone => "TASK_GONE",
        TaskState.Dropped => "TASK_DROPPED",
        _ => "TASK_UNKNOWN",
    };

    public static bool TryParseWire(string? s, out TaskState state)
    {
        foreach (var v in Enum.GetValues<TaskState>())
        {
            if (string.Equals(v.ToWire(), s, StringComparison.OrdinalIgnoreCase)) { state = v; return true; }
        }
        state = TaskState.Unknown;
        return false;
    }
}

/// <summary>Marathon's per-check result on a task (healthCheckResults[]).</summary>
public sealed record HealthCheckResult
{
    public bool Alive { get; init; }
    public int ConsecutiveFailures { get; init; }
    public string? FirstSuccess { get; init; }
    public string? LastFailure { get; init; }
    public string? LastSuccess { get; init; }
    public string? LastFailureCause { get; init; }
    public string? TaskId { get; init; }
    /// <summary>passing, warning or critical (COMMAND checks: exit 0/1/other).</summary>
    public string Status { get; init; } = "critical";
}
