using Drover.Core.Apps;
using Drover.Core.Cluster;

namespace Drover.Api.Marathon;

/// <summary>An app as the API returns it: the definition plus Marathon's read-only extras.</summary>
public sealed record AppInfo : AppDefinition
{
    public AppInfo() { }
    [System.Diagnostics.CodeAnalysis.SetsRequiredMembers]
    public AppInfo(AppDefinition app) : base(app) { }

    public int TasksStaged { get; init; }
    public int TasksRunning { get; init; }
    public int TasksHealthy { get; init; }
    public int TasksUnhealthy { get; init; }
    public IReadOnlyList<DeploymentRef> Deployments { get; init; } = [];
    public IReadOnlyList<MarathonTask>? Tasks { get; init; }
    public TaskFailure? LastTaskFailure { get; init; }
    /// <summary>The tasks' readiness results; only for an app with readiness checks once there are results.</summary>
    public IReadOnlyList<ReadinessCheckResult>? ReadinessCheckResults { get; init; }
}

public sealed record DeploymentRef(string Id);

/// <summary>Marathon's task JSON (M1.4 key set; python3-marathon rejects unknown keys).</summary>
public sealed record MarathonTask
{
    public required string Id { get; init; }
    public required string AppId { get; init; }
    public string? Host { get; init; }
    public string? SlaveId { get; init; }
    public required string State { get; init; }
    public string? StagedAt { get; init; }
    public string? StartedAt { get; init; }
    public string? Version { get; init; }
    public IReadOnlyList<int> Ports { get; init; } = [];
    public IReadOnlyList<int>? ServicePorts { get; init; }
    public IReadOnlyList<TaskIpAddress>? IpAddresses { get; init; }
    public IReadOnlyList<HealthCheckResultWire>? HealthCheckResults { get; init; }
    public IReadOnlyList<object> LocalVolumes { get; init; } = [];
}

public sealed record TaskIpAddress
{
    public required string IpAddress { get; init; }
    public string Protocol { get; init; } = "IPv4";
}

public sealed record HealthCheckResultWire
{
    public bool Alive { get; init; }
    public int ConsecutiveFailures { get; init; }
    public string? FirstSuccess { get; init; }
    public string? LastFailure { get; init; }
    public string? LastSuccess { get; init; }
    public string? LastFailureCause { get; init; }
    public string? TaskId { get; init; }
}

public sealed record TaskFailure
{
    public required string AppId { get; init; }
    public string? Host { get; init; }
    public string Message { get; init; } = "";
    public string State { get; init; } = "TASK_FAILED";
    public required string TaskId { get; init; }
    public required string Timestamp { get; init; }
    public required string Version { get; init; }
    public string? SlaveId { get; init; }
}

public sealed record DeploymentResult(string DeploymentId, string Version);

public sealed record AppsResponse(IReadOnlyList<AppInfo> Apps);
public sealed record AppResponse(AppInfo App);
public sealed record TasksResponse(IReadOnlyList<MarathonTask> Tasks);
public sealed record TaskResponse(MarathonTask Task);
public sealed record VersionsResponse(IReadOnlyList<string> Versions);
public sealed record TaskIds(IReadOnlyList<string> Ids);
public sealed record LeaderResponse(string Leader);
public sealed record MessageResponse
{
    public required string Message { get; init; }
    public IReadOnlyList<ErrorDetail>? Details { get; init; }
    /// <summary>On a 409: the deployments that lock the app.</summary>
    public IReadOnlyList<DeploymentRef>? Deployments { get; init; }
}
public sealed record ErrorDetail(string Path, IReadOnlyList<string> Errors);

public sealed record QueueResponse(IReadOnlyList<QueueItem> Queue);
public sealed record QueueItem
{
    public int Count { get; init; }
    public required QueueDelay Delay { get; init; }
    public string? Since { get; init; }
    public ProcessedOffersSummary? ProcessedOffersSummary { get; init; }
    public required AppDefinition App { get; init; }
}
public sealed record QueueDelay(double TimeLeftSeconds, bool Overdue);
public sealed record ProcessedOffersSummary
{
    public int ProcessedOffersCount { get; init; }
    public int UnusedOffersCount { get; init; }
    public string? LastUnusedOfferAt { get; init; }
    public string? LastUsedOfferAt { get; init; }
    public IReadOnlyList<RejectSummary> RejectSummaryLastOffers { get; init; } = [];
    public IReadOnlyList<RejectSummary> RejectSummaryLaunchAttempt { get; init; } = [];
}
public sealed record RejectSummary(string Reason, int Declined, int Processed);

/// <summary>Drover's own agent listing (GET /v1/drover/agents).</summary>
public sealed record AgentView
{
    public required AgentInfo Agent { get; init; }
    public double UsedCpus { get; init; }
    public double UsedMemMb { get; init; }
    public double UsedDiskMb { get; init; }
    public int Tasks { get; init; }
    /// <summary>"draining" while tasks remain on a draining agent, "drained" once none do; null when the agent is not draining.</summary>
    public string? Drain { get; init; }
}
public sealed record AgentsResponse(IReadOnlyList<AgentView> Agents);

/// <summary>GET /v2/deployments item (python3-marathon accepts exactly these keys).</summary>
public sealed record DeploymentInfo
{
    public required string Id { get; init; }
    public required string Version { get; init; }
    public IReadOnlyList<string> AffectedApps { get; init; } = [];
    public IReadOnlyList<string> AffectedPods { get; init; } = [];
    public IReadOnlyList<DeploymentStepWire> Steps { get; init; } = [];
    public IReadOnlyList<DeploymentActionWire> CurrentActions { get; init; } = [];
    public int CurrentStep { get; init; }
    public int TotalSteps { get; init; }
}
public sealed record DeploymentStepWire(IReadOnlyList<DeploymentActionWire> Actions);
public sealed record DeploymentActionWire(string Action, string App)
{
    public IReadOnlyList<ReadinessCheckResult>? ReadinessCheckResults { get; init; }
}

/// <summary>Marathon's group (no enforceRole: python3-marathon rejects it).</summary>
public sealed record GroupInfo
{
    public required string Id { get; init; }
    public IReadOnlyList<AppInfo> Apps { get; init; } = [];
    public IReadOnlyList<GroupInfo> Groups { get; init; } = [];
    public IReadOnlyList<object> Pods { get; init; } = [];
    public IReadOnlyList<string> Dependencies { get; init; } = [];
    public string? Version { get; init; }
}

public sealed record GroupDryRun(IReadOnlyList<DeploymentStepWire> Steps);
