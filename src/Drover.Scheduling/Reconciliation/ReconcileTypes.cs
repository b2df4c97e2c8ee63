using Drover.Core.Apps;
using Drover.Core.Cluster;

namespace Drover.Scheduling;

/// <summary>Everything the reconciler decides from: a consistent snapshot plus the current time.</summary>
public sealed record ReconcileInput
{
    public static readonly IReadOnlyDictionary<string, LaunchBackoff> NoBackoffs = new Dictionary<string, LaunchBackoff>();

    /// <summary>Current definition of every app (with <see cref="AppDefinition.Version"/>).</summary>
    public required IReadOnlyList<AppDefinition> Apps { get; init; }
    /// <summary>All non-terminal tasks.</summary>
    public required IReadOnlyList<TaskRecord> Tasks { get; init; }
    public required IReadOnlyList<AgentInfo> Agents { get; init; }
    /// <summary>Launch backoff by app id.</summary>
    public IReadOnlyDictionary<string, LaunchBackoff> Backoffs { get; init; } = NoBackoffs;
    public required DateTimeOffset Now { get; init; }

    /// <summary>
    /// What each agent's live tasks hold (<see cref="ClusterView.Usage"/>), when the caller keeps it. Then
    /// <see cref="Tasks"/> need only hold the tasks of <see cref="Apps"/> and of deleted apps: a caller may leave out an
    /// app it knows to be settled (<see cref="ReconcilePlan.Settled"/>) together with its tasks.
    /// </summary>
    public Func<string, AgentUsage?>? AgentUsage { get; init; }
}

/// <summary>What to do now. Applying it and reconciling again converges on the desired state.</summary>
public sealed record ReconcilePlan
{
    public required IReadOnlyList<LaunchOrder> Launches { get; init; }
    public required IReadOnlyList<KillOrder> Kills { get; init; }
    /// <summary>Apps with instances still to launch after this plan (for <c>/v2/queue</c>).</summary>
    public required IReadOnlyList<QueueEntry> Queue { get; init; }
    /// <summary>Apps whose backoff should be dropped: a current task ran well, or the backoff belongs to an old version.</summary>
    public required IReadOnlyList<string> BackoffResets { get; init; }
    /// <summary>
    /// Apps that need nothing and whose plan depends on nothing but their definition, their tasks and the agents: exactly
    /// the instances wanted, no outdated task, every task on an Active agent, no launch backoff. Planned again with the
    /// same three, such an app still needs nothing whatever the time, so a caller may skip it until one of them changes.
    /// </summary>
    public IReadOnlyList<string> Settled { get; init; } = [];

    public bool HasActions => Launches.Count > 0 || Kills.Count > 0;
}

/// <summary>Start one instance of <see cref="App"/> (its <see cref="AppDefinition.Version"/>) where <see cref="Placement"/> says.</summary>
public sealed record LaunchOrder(AppDefinition App, Placement Placement)
{
    public string Version => App.Version ?? "";
}

public sealed record KillOrder(string TaskId, string AppId, string AgentId, KillReason Reason)
{
    public string Message => Reason.Describe();
}

public enum KillReason
{
    /// <summary>More instances than the app wants (instances lowered).</summary>
    ScaleDown,
    /// <summary>Replaced by the app's current version during a rolling upgrade.</summary>
    OutdatedVersion,
    /// <summary>More current-version instances than wanted while an upgrade is in progress.</summary>
    OverCapacity,
    /// <summary>The app no longer exists.</summary>
    AppDeleted,
    /// <summary>An agent came back with tasks that had already been replaced.</summary>
    DuplicateAfterReconnect,
    /// <summary>Moved off a draining agent once its replacement is healthy.</summary>
    AgentDraining,
}

public static class KillReasonText
{
    public static string Describe(this KillReason r) => r switch
    {
        KillReason.ScaleDown => "Scale down",
        KillReason.OutdatedVersion => "Outdated version",
        KillReason.OverCapacity => "Over capacity",
        KillReason.AppDeleted => "App deleted",
        KillReason.DuplicateAfterReconnect => "Duplicate after reconnect",
        _ => "Agent draining",
    };
}

/// <summary>
/// An app waiting for instances (Marathon's queue item): <see cref="Count"/> still to launch, the backoff
/// (<see cref="TimeLeftSeconds"/>, <see cref="Overdue"/> = delay elapsed, waiting for resources) and, when
/// placement failed, why agents declined.
/// </summary>
public sealed record QueueEntry
{
    public required string AppId { get; init; }
    public required AppDefinition App { get; init; }
    public required int Count { get; init; }
    public DateTimeOffset? DelayUntil { get; init; }
    public double TimeLeftSeconds { get; init; }
    public bool Overdue => TimeLeftSeconds <= 0;
    public IReadOnlyList<RejectReason> RejectSummary { get; init; } = [];
    public int Processed { get; init; }
}
