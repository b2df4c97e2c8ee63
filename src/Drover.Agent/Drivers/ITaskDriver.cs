using Drover.Agent.Cgroups;
using Drover.Core.Cluster;

namespace Drover.Agent.Drivers;

/// <summary>
/// Runs tasks of one kind (processes, Docker containers). A driver keeps enough state on disk that a
/// new instance (after an agent restart) re-adopts the tasks a previous instance started.
/// </summary>
public interface ITaskDriver : IAsyncDisposable
{
    string Name { get; }

    /// <summary>Whether this driver runs <paramref name="spec"/> (e.g. the process driver declines Docker containers).</summary>
    bool CanRun(TaskSpec spec);

    /// <summary>Directory holding the task's files (stdout, stderr, fetched artifacts).</summary>
    string GetSandboxPath(string taskId);

    /// <summary>
    /// Prepares the sandbox, fetches artifacts and starts the task; returns once it runs.
    /// Throws <see cref="TaskLaunchException"/> when the task cannot be started (the message is for operators).
    /// </summary>
    Task<ITaskHandle> StartAsync(TaskSpec spec, CancellationToken ct);

    /// <summary>Re-adopts the tasks recorded by an earlier instance: live ones are watched again, the others come back already exited.</summary>
    Task<IReadOnlyList<ITaskHandle>> RecoverAsync(CancellationToken ct);

    /// <summary>Deletes the runtime record of an exited task; its sandbox stays for the logs.</summary>
    void Forget(string taskId);

    /// <summary>Deletes sandboxes not touched for <paramref name="olderThan"/>, except those of <paramref name="keep"/>; returns the deleted paths.</summary>
    IReadOnlyList<string> PruneSandboxes(TimeSpan olderThan, IReadOnlySet<string> keep);

    /// <summary>
    /// Opens the output of one of this driver's tasks, running or ended (for as long as the driver keeps it);
    /// null when this driver has none for <paramref name="taskId"/>. Each driver keeps output its own way:
    /// sandbox files for processes, the Docker daemon's log for a live container.
    /// </summary>
    /// <param name="isRunning">Whether the agent still sees the task running: a follower stops once it is not and the output is drained.</param>
    Task<ITaskLog?> OpenLogAsync(string taskId, TaskLogRequest request, Func<bool> isRunning, CancellationToken ct);
}

/// <summary>One running (or exited) task of a driver.</summary>
public interface ITaskHandle
{
    string TaskId { get; }
    TaskSpec Spec { get; }
    string Sandbox { get; }
    /// <summary>
    /// Host process id of the task's main process (for the process driver, also the process group id; for a
    /// container, its init process as Docker reports it); 0 when unknown.
    /// </summary>
    int Pid { get; }
    /// <summary>What runs the task, for operators' logs: "pid 1234", "container 3f2a9c01b7de".</summary>
    string RuntimeId { get; }
    DateTimeOffset StartedAt { get; }
    /// <summary>True once <see cref="KillAsync"/> was called, also by an earlier agent instance.</summary>
    bool KillRequested { get; }
    /// <summary>True when this handle was re-adopted from an earlier agent run.</summary>
    bool Recovered { get; }
    /// <summary>Completes when the task has ended. Never faults.</summary>
    Task<TaskExit> Exited { get; }

    /// <summary>SIGTERM, then SIGKILL after <paramref name="gracePeriod"/>; completes when the task has ended.</summary>
    Task KillAsync(TimeSpan gracePeriod, CancellationToken ct = default);

    /// <summary>Current cpu/memory usage (from the task's cgroup, or Docker's stats); null when not known.</summary>
    Task<TaskResourceUsage?> ReadUsageAsync(CancellationToken ct = default);
}

/// <summary>
/// How a task ended. <see cref="ExitCode"/> is null when nobody could observe it; <see cref="Reason"/> is what
/// the runtime knows beyond the status, e.g. "OOM killed: memory limit 32 MiB".
/// </summary>
public sealed record TaskExit(int? ExitCode, int? Signal, DateTimeOffset At, string? Reason = null)
{
    /// <summary>The kernel's OOM killer ended the task because it outgrew its memory limit (Mesos' REASON_CONTAINER_LIMITATION_MEMORY).</summary>
    public bool OomKilled { get; init; }
    /// <summary>The memory limit the task outgrew, in MiB, when <see cref="OomKilled"/>.</summary>
    public double? MemoryLimitMb { get; init; }

    public bool Success => ExitCode == 0 && Signal is null && !OomKilled && Reason is null;

    /// <summary>Operator-facing text: "exited with code 3", "killed by signal 9", "OOM killed: memory limit 32 MiB", or the runtime's reason.</summary>
    public string Describe() =>
        OomKilled ? (MemoryLimitMb is { } mb ? $"OOM killed: memory limit {mb.ToString("0.##", System.Globalization.CultureInfo.InvariantCulture)} MiB" : "OOM killed")
        : Reason is { } r ? r
        : Signal is { } s ? $"killed by signal {s}"
        : ExitCode is { } c ? $"exited with code {c}"
        : "exit status unknown (the task ended while the agent was not watching it)";

    /// <summary>Interprets a shell-style status: 128+N means killed by signal N.</summary>
    public static TaskExit FromShellStatus(int status, DateTimeOffset at) =>
        status is > 128 and < 128 + 65 ? new TaskExit(status, status - 128, at) : new TaskExit(status, null, at);
}

/// <summary>A task could not be started (bad spec, fetch failure, exec failure).</summary>
public sealed class TaskLaunchException(string message, Exception? inner = null) : Exception(message, inner);
