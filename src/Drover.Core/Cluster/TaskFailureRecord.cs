namespace Drover.Core.Cluster;

/// <summary>The most recent failed task of an app (Marathon's lastTaskFailure).</summary>
public sealed record TaskFailureRecord
{
    public required string AppId { get; init; }
    public required string TaskId { get; init; }
    public string? Host { get; init; }
    public string? AgentId { get; init; }
    public string State { get; init; } = "TASK_FAILED";
    public string Message { get; init; } = "";
    public required string Timestamp { get; init; }
    public required string Version { get; init; }
}
