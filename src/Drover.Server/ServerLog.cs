using Microsoft.Extensions.Logging;

namespace Drover.Server;

/// <summary>All log lines of the server, source-generated, with structured fields.</summary>
public sealed partial class ServerLog(ILogger<ServerLog> logger)
{
    [LoggerMessage(1, LogLevel.Information, "agent {AgentId} registered from {Hostname} ({Endpoint}) with {TaskCount} running tasks")]
    public partial void AgentRegistered(string agentId, string hostname, string endpoint, int taskCount);

    [LoggerMessage(2, LogLevel.Warning, "agent {AgentId} ({Hostname}) reconnected")]
    public partial void AgentReconnected(string agentId, string hostname);

    [LoggerMessage(3, LogLevel.Warning, "agent {AgentId} ({Hostname}) unreachable: not heard from for {Seconds:0.0}s; {TaskCount} tasks marked unreachable")]
    public partial void AgentUnreachable(string agentId, string hostname, double seconds, int taskCount);

    [LoggerMessage(4, LogLevel.Information, "task {TaskId} of {AppId} ended: {State} {Message}")]
    public partial void TaskEnded(string taskId, string appId, string state, string message);

    /// <remarks>Debug, as Nomad logs placements: one pass may place a million instances (bench/c1m); <see cref="TasksLaunching"/> sums each pass up.</remarks>
    [LoggerMessage(5, LogLevel.Debug, "launching task {TaskId} of {AppId} on {Host}")]
    public partial void TaskLaunching(string taskId, string appId, string host);

    [LoggerMessage(26, LogLevel.Information, "launching {Count} tasks of {Apps} apps (e.g. {TaskId} of {AppId} on {Host})")]
    public partial void TasksLaunching(int count, int apps, string taskId, string appId, string host);

    [LoggerMessage(6, LogLevel.Information, "killing task {TaskId} of {AppId}: {Reason}")]
    public partial void TaskKilling(string taskId, string appId, string reason);

    [LoggerMessage(23, LogLevel.Information, "sending the kill of task {TaskId} of {AppId} to its agent: {Reason}")]
    public partial void TaskKillReleased(string taskId, string appId, string reason);

    [LoggerMessage(27, LogLevel.Debug, "reconcile pass decided at index {DecidedAt} no longer holds at {Now} (what it read or a task it writes changed): deciding it again under the writer's lock")]
    public partial void ReconcileDecidedAgain(long decidedAt, long now);

    [LoggerMessage(7, LogLevel.Error, "reconciliation pass failed; retrying")]
    public partial void ReconcileFailed(Exception ex);

    [LoggerMessage(8, LogLevel.Information, "Drover server listening on {Url} (state: {State})")]
    public partial void Listening(string url, string state);

    [LoggerMessage(9, LogLevel.Warning, "event subscriber {Remote} fell {Buffer} events behind and was dropped; other subscribers are unaffected")]
    public partial void SlowSubscriberDropped(string remote, int buffer);

    [LoggerMessage(10, LogLevel.Information, "deployment {DeploymentId} {Outcome}: {Detail}")]
    public partial void DeploymentEnded(string deploymentId, string outcome, string detail);

    [LoggerMessage(11, LogLevel.Information, "agent {AgentId} ({Hostname}): ports held by other programs now [{Ports}]; placement skips them")]
    public partial void AgentHeldPorts(string agentId, string hostname, string ports);

    [LoggerMessage(20, LogLevel.Information, "agent on {Host} restarted task {PreviousTaskId} of {AppId} while cut off: adopted {TaskId} in its place")]
    public partial void TaskAdopted(string taskId, string previousTaskId, string appId, string host);

    [LoggerMessage(21, LogLevel.Information, "agent {AgentId} ({Host}) draining (deadline: {Deadline}): no new tasks, its tasks move away")]
    public partial void AgentDraining(string agentId, string host, string deadline);

    [LoggerMessage(22, LogLevel.Information, "agent {AgentId} ({Host}) undrained: it takes new tasks again")]
    public partial void AgentUndrained(string agentId, string host);

    [LoggerMessage(24, LogLevel.Error, "projecting events from the store failed; retrying")]
    public partial void EventProjectionFailed(Exception ex);

    [LoggerMessage(25, LogLevel.Warning, "{Missed} event batch(es) after store index {Since} were pruned from the event log before this server streamed them; ending its {Subscribers} event stream(s) so their clients reconnect and re-read the state")]
    public partial void EventsPruned(long missed, long since, int subscribers);

    [LoggerMessage(27, LogLevel.Warning, "storing agents' last-seen times failed; the next flush carries them")]
    public partial void LivenessFlushFailed(Exception error);
}
