using Microsoft.Extensions.Logging;

namespace Drover.Agent;

/// <summary>Every log message of the agent, source-generated.</summary>
internal static partial class AgentLog
{
    // Agent lifecycle and server protocol (1xxx)
    [LoggerMessage(1000, LogLevel.Information, "Agent started: endpoint {Endpoint}, {Recovered} task(s) re-adopted, server {Server}")]
    public static partial void AgentStarted(this ILogger log, Uri endpoint, int recovered, string server);

    [LoggerMessage(1001, LogLevel.Information, "Agent stopping (kill tasks: {KillTasks})")]
    public static partial void AgentStopping(this ILogger log, bool killTasks);

    [LoggerMessage(1002, LogLevel.Information, "Registered with {Server} as agent {AgentId}")]
    public static partial void Registered(this ILogger log, string server, string agentId);

    [LoggerMessage(1003, LogLevel.Warning, "Registration with {Server} failed: {Error}; retrying in {Delay}")]
    public static partial void RegistrationFailed(this ILogger log, string server, string error, TimeSpan delay);

    [LoggerMessage(1004, LogLevel.Warning, "Server does not know agent {AgentId}; registering again")]
    public static partial void UnknownToServer(this ILogger log, string? agentId);

    [LoggerMessage(1005, LogLevel.Warning, "Heartbeat failed: {Error}; tasks keep running, retrying in {Delay}")]
    public static partial void HeartbeatFailed(this ILogger log, string error, TimeSpan delay);

    [LoggerMessage(1006, LogLevel.Information, "Server reachable again")]
    public static partial void ServerReachable(this ILogger log);

    [LoggerMessage(1007, LogLevel.Warning, "Fetching assignments failed: {Error}; retrying in {Delay}")]
    public static partial void AssignmentsFailed(this ILogger log, string error, TimeSpan delay);

    [LoggerMessage(1008, LogLevel.Debug, "Applying {Count} assignment(s), fingerprint {Fingerprint}")]
    public static partial void AssignmentsApplied(this ILogger log, int count, string fingerprint);

    [LoggerMessage(1009, LogLevel.Warning, "Reporting {Count} status update(s) failed: {Error}; retrying in {Delay}")]
    public static partial void StatusReportFailed(this ILogger log, int count, string error, TimeSpan delay);

    [LoggerMessage(1010, LogLevel.Error, "Server rejected {Count} status update(s): {Error}; dropping them (heartbeats still carry the current state)")]
    public static partial void StatusReportRejected(this ILogger log, int count, string error);

    [LoggerMessage(1011, LogLevel.Error, "Agent loop {Loop} failed")]
    public static partial void LoopFailed(this ILogger log, string loop, Exception exception);

    [LoggerMessage(1012, LogLevel.Information, "Removed sandbox {Sandbox} of a forgotten task")]
    public static partial void SandboxPruned(this ILogger log, string sandbox);

    [LoggerMessage(1013, LogLevel.Warning, "Cannot write agent id file {Path}: {Error}")]
    public static partial void AgentIdNotSaved(this ILogger log, string path, string error);

    [LoggerMessage(1014, LogLevel.Warning, "Cannot update the log offset index {File} of task {TaskId}: {Error}; since= on its logs is less precise until it can")]
    public static partial void LogIndexFailed(this ILogger log, string taskId, string file, string error);

    [LoggerMessage(1040, LogLevel.Debug, "Rotated the {Stream} of task {TaskId}: kept {Bytes} bytes in the .1 file (dropped {Dropped} bytes of a burst over the cap)")]
    public static partial void LogRotated(this ILogger log, string taskId, string stream, long bytes, long dropped);

    // Tasks (2xxx)
    [LoggerMessage(2000, LogLevel.Information, "Starting task {TaskId} of {AppId} with the {Driver} driver")]
    public static partial void TaskStarting(this ILogger log, string taskId, string appId, string driver);

    [LoggerMessage(2001, LogLevel.Information, "Task {TaskId} is running as {Runtime}")]
    public static partial void TaskRunning(this ILogger log, string taskId, string runtime);

    [LoggerMessage(2002, LogLevel.Warning, "Task {TaskId} could not be launched: {Error}")]
    public static partial void TaskLaunchFailed(this ILogger log, string taskId, string error);

    [LoggerMessage(2003, LogLevel.Information, "Killing task {TaskId}")]
    public static partial void TaskKillRequested(this ILogger log, string taskId);

    [LoggerMessage(2004, LogLevel.Warning, "Task {TaskId} is unhealthy ({Cause}); killing it")]
    public static partial void TaskUnhealthy(this ILogger log, string taskId, string cause);

    [LoggerMessage(2005, LogLevel.Error, "Killing task {TaskId} failed: {Error}")]
    public static partial void TaskKillFailed(this ILogger log, string taskId, string error);

    [LoggerMessage(2006, LogLevel.Information, "Task {TaskId} ended: {State} {Message}")]
    public static partial void TaskEnded(this ILogger log, string taskId, string state, string message);

    [LoggerMessage(2007, LogLevel.Error, "Status callback for task {TaskId} failed: {Error}")]
    public static partial void StatusCallbackFailed(this ILogger log, string taskId, string error);

    [LoggerMessage(2008, LogLevel.Debug, "Forgot task {TaskId} (terminal state acknowledged)")]
    public static partial void TaskForgotten(this ILogger log, string taskId);

    [LoggerMessage(2009, LogLevel.Warning, "Cannot delete the runtime record of task {TaskId}: {Error}")]
    public static partial void ForgetFailed(this ILogger log, string taskId, string error);

    [LoggerMessage(2010, LogLevel.Information, "Task {TaskId} is ready (readiness check {Check})")]
    public static partial void TaskReady(this ILogger log, string taskId, string check);

    [LoggerMessage(2011, LogLevel.Warning, "Readiness check {Check} of task {TaskId} cannot run: {Cause}")]
    public static partial void ReadinessCheckCannotRun(this ILogger log, string taskId, string check, string cause);

    // Process driver and cgroups (3xxx)
    [LoggerMessage(3000, LogLevel.Debug, "Task {TaskId} started as pid {Pid} in {Sandbox}")]
    public static partial void TaskProcessStarted(this ILogger log, string taskId, int pid, string sandbox);

    [LoggerMessage(3001, LogLevel.Information, "Re-adopted task {TaskId} (pid {Pid})")]
    public static partial void TaskReadopted(this ILogger log, string taskId, int pid);

    [LoggerMessage(3002, LogLevel.Information, "Task {TaskId} ended while the agent was down: {Description}")]
    public static partial void TaskEndedWhileAway(this ILogger log, string taskId, string description);

    [LoggerMessage(3003, LogLevel.Warning, "Cannot read task runtime record {File}: {Error}")]
    public static partial void RuntimeRecordUnreadable(this ILogger log, string file, string error);

    [LoggerMessage(3004, LogLevel.Debug, "Sending signal {Signal} to task {TaskId} (process group {Pid})")]
    public static partial void TaskSignalled(this ILogger log, string taskId, int pid, int signal);

    [LoggerMessage(3005, LogLevel.Warning, "Cleaning up after task {TaskId} failed: {Error}")]
    public static partial void TaskCleanupFailed(this ILogger log, string taskId, string error);

    [LoggerMessage(3006, LogLevel.Warning, "cgroups disabled: {Reason}")]
    public static partial void CgroupsUnavailable(this ILogger log, string reason);

    [LoggerMessage(3007, LogLevel.Warning, "Cannot remove cgroup {Dir}: {Error}")]
    public static partial void CgroupRemoveFailed(this ILogger log, string dir, string error);

    // Cut off from the server (4xxx)
    [LoggerMessage(4000, LogLevel.Warning, "Task {TaskId} of {AppId} ended while the server is unreachable: restarted here as {NewTaskId}")]
    public static partial void TaskRestartedLocally(this ILogger log, string taskId, string newTaskId, string appId);

    [LoggerMessage(4001, LogLevel.Warning, "No answer from the server for {Seconds:0.#}s: running cut off (tasks that end are restarted here, with their app's backoff)")]
    public static partial void CutOff(this ILogger log, double seconds);

    [LoggerMessage(4002, LogLevel.Information, "Server reachable again: reporting every task before applying assignments")]
    public static partial void Resyncing(this ILogger log);

    [LoggerMessage(4003, LogLevel.Information, "Task {TaskId} of {AppId} ended while cut off: restarting it here in {Delay}")]
    public static partial void LocalRestartScheduled(this ILogger log, string taskId, string appId, TimeSpan delay);
}
