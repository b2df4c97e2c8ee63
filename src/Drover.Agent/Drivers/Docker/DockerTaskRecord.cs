using Drover.Core.Cluster;
using Drover.Agent.Drivers;

namespace Drover.Agent.Drivers.Docker;

/// <summary>
/// What the Docker driver keeps per task (DataDir/docker/tasks/&lt;taskId&gt;.json) beside the container's labels:
/// the spec to re-adopt the task with, and whether a kill was asked for. Written before the container is created,
/// so a container whose record is missing is one nobody asked for (an orphan).
/// </summary>
public sealed record DockerTaskRecord
{
    public required string TaskId { get; init; }
    public required string ContainerName { get; init; }
    /// <summary>Null until the container has been created.</summary>
    public string? ContainerId { get; init; }
    public required string Sandbox { get; init; }
    public required DateTimeOffset StartedAt { get; init; }
    public required TaskSpec Spec { get; init; }
    public bool KillRequested { get; init; }
    /// <summary>Set once the container has ended and been removed: a restarted agent reports this instead of "unknown".</summary>
    public TaskExit? Exit { get; init; }
}
