using Drover.Core.Cluster;

namespace Drover.Server.Storage;

// Small records the schema stores for the reconcile loop and the task service; they live with the schema so that
// Storage depends on nothing above it.

/// <summary>When an app began to wait for placement.</summary>
public sealed record QueueWaiting
{
    public required string Since { get; init; }
}

/// <summary>The last pass that launched tasks (Schema.LaunchMarks): what it holds is for operators; its ModifyIndex is what passes compare.</summary>
public sealed record LaunchMark
{
    public required string At { get; init; }
    public int Launched { get; init; }
}

/// <summary>A task whose end an agent reported, with its last record and when it ended.</summary>
public sealed record EndedTask
{
    public required TaskRecord Task { get; init; }
    public required string EndedAt { get; init; }
}
