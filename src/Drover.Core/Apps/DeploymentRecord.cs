namespace Drover.Core.Apps;

/// <summary>
/// A deployment in progress, stored durably so a restarted server resumes it. Step k's apps get
/// their target definitions when step k starts (dependencies first); the reconciler converges the
/// tasks, and the deployment advances once every app of the step has converged.
/// </summary>
public sealed record DeploymentRecord
{
    public required string Id { get; init; }
    public required string Version { get; init; }
    public required IReadOnlyList<string> AffectedApps { get; init; }
    public required IReadOnlyList<DeploymentStep> Steps { get; init; }
    /// <summary>1-based index of the step being executed.</summary>
    public int CurrentStep { get; init; } = 1;
    /// <summary>Definition each affected app should end with; absent key = the app is removed.</summary>
    public IReadOnlyDictionary<string, AppDefinition> Targets { get; init; } = new Dictionary<string, AppDefinition>();
    /// <summary>Definition each affected app had before; absent key = it did not exist (used to revert).</summary>
    public IReadOnlyDictionary<string, AppDefinition> Originals { get; init; } = new Dictionary<string, AppDefinition>();
    public required string StartedAt { get; init; }
    /// <summary>When the deployment last made progress (new instances healthy, old ones gone).</summary>
    public required string LastProgressAt { get; init; }
    /// <summary>A fingerprint of the convergence state at LastProgressAt.</summary>
    public string ProgressMark { get; init; } = "";
    /// <summary>Set on a deployment that reverts another one.</summary>
    public string? RevertOf { get; init; }
}

public sealed record DeploymentStep
{
    public required IReadOnlyList<DeploymentAction> Actions { get; init; }
}

public sealed record DeploymentAction(string Action, string App)
{
    public const string Start = "StartApplication";
    public const string Stop = "StopApplication";
    public const string Scale = "ScaleApplication";
    public const string Restart = "RestartApplication";
}
