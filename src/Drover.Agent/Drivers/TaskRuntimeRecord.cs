using Drover.Core.Cluster;

namespace Drover.Agent.Drivers;

/// <summary>What the process driver keeps on disk per task (DataDir/tasks/&lt;taskId&gt;.json) to re-adopt it after a restart.</summary>
public sealed record TaskRuntimeRecord
{
    public required string TaskId { get; init; }
    public required string Driver { get; init; }
    public required int Pid { get; init; }
    /// <summary>Field 22 of /proc/&lt;pid&gt;/stat at launch: tells our process from a later one that reuses the pid.</summary>
    public required ulong ProcessStartTime { get; init; }
    public required string Sandbox { get; init; }
    public required DateTimeOffset StartedAt { get; init; }
    public required TaskSpec Spec { get; init; }
    public bool KillRequested { get; init; }
    public IReadOnlyList<string> CgroupDirs { get; init; } = [];
    public string? CgroupVersion { get; init; }
}
