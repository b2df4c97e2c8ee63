using Drover.Core.Apps;
using Drover.Core.Json;

namespace Drover.Scheduling;

/// <summary>One deployment to plan: the apps it changes, what each becomes, and how it treats running deployments.</summary>
public sealed record DeploymentRequest
{
    /// <summary>Each affected app's target definition, already carrying its new version (null = remove the app).</summary>
    public required IReadOnlyDictionary<string, AppDefinition?> Targets { get; init; }
    /// <summary>The action shown for each app in the plan's steps.</summary>
    public required IReadOnlyDictionary<string, string> Actions { get; init; }
    public required string Version { get; init; }
    /// <summary>Replace running deployments of the same apps instead of being refused (Marathon's ?force=true).</summary>
    public bool Force { get; init; }
    /// <summary>Set when this deployment reverts another one.</summary>
    public string? RevertOf { get; init; }
    /// <summary>Dependencies an app inherits from its groups (app ids).</summary>
    public Func<string, IEnumerable<string>>? ExtraDependencies { get; init; }
}

/// <summary>What the planner decided: refused because running deployments lock the apps, or a deployment to store.</summary>
public abstract record DeploymentPlan
{
    private DeploymentPlan() { }

    /// <summary>Running deployments hold some of the apps and the request was not forced (Marathon answers 409).</summary>
    public sealed record Locked(IReadOnlyList<string> DeploymentIds) : DeploymentPlan;

    /// <param name="Record">The deployment to store.</param>
    /// <param name="Canceled">Running deployments it replaces (forced); they are deleted with it.</param>
    public sealed record Ready(DeploymentRecord Record, IReadOnlyList<DeploymentRecord> Canceled) : DeploymentPlan;
}

/// <summary>One app write a deployment step makes: the app becomes <see cref="Definition"/>, or is removed when it is null.</summary>
public sealed record AppTarget(string AppId, AppDefinition? Definition);

/// <summary>
/// Plans deployments as pure functions of what is running: which deployments a change conflicts with, what the
/// apps go back to when a deployment is replaced or reverted, the step order, and what each step writes.
/// </summary>
public static class DeploymentPlanner
{
    /// <param name="running">Deployments in progress.</param>
    /// <param name="currentApp">The stored definition of an app (null = it does not exist).</param>
    /// <param name="id">The new deployment's id.</param>
    public static DeploymentPlan Plan(DeploymentRequest request, IReadOnlyCollection<DeploymentRecord> running, Func<string, AppDefinition?> currentApp,
        string id, DateTimeOffset now)
    {
        var targets = request.Targets;
        var conflicting = running.Where(d => d.AffectedApps.Any(targets.ContainsKey)).ToList();
        if (conflicting.Count > 0 && !request.Force) return new DeploymentPlan.Locked(conflicting.Select(d => d.Id).ToList());
        var originals = new Dictionary<string, AppDefinition>();
        foreach (var appId in targets.Keys)
        {
            // a forced change over a running deployment reverts to what was there before that deployment (as Marathon does)
            var before = request.RevertOf is null
                ? conflicting.Select(d => d.Originals.TryGetValue(appId, out var o) ? o : null).FirstOrDefault(o => o is not null) ?? currentApp(appId)
                : currentApp(appId);
            if (before is not null) originals[appId] = before;
        }
        var at = MarathonTime.ToWire(now);
        var record = new DeploymentRecord
        {
            Id = id,
            Version = request.Version,
            AffectedApps = targets.Keys.Order(StringComparer.Ordinal).ToList(),
            Steps = StepOrder.Steps(targets, request.Actions, request.ExtraDependencies),
            Targets = targets.Where(kv => kv.Value is not null).ToDictionary(kv => kv.Key, kv => kv.Value!),
            Originals = originals,
            StartedAt = at,
            LastProgressAt = at,
            RevertOf = request.RevertOf,
        };
        return new DeploymentPlan.Ready(record, conflicting);
    }

    /// <summary>The app writes of step <paramref name="step"/> (1-based): each app of the step becomes its target, or is removed.</summary>
    public static IReadOnlyList<AppTarget> StepWrites(DeploymentRecord d, int step) =>
        d.Steps[step - 1].Actions.Select(a => new AppTarget(a.App, d.Targets.TryGetValue(a.App, out var target) ? target : null)).ToList();

    /// <summary>
    /// A forced deployment that takes the apps of <paramref name="d"/> back to what they were before it: the original
    /// configuration under a new <paramref name="version"/>, and apps it created removed.
    /// </summary>
    public static DeploymentRequest Revert(DeploymentRecord d, Func<string, AppDefinition?> currentApp, string version)
    {
        var targets = new Dictionary<string, AppDefinition?>();
        var actions = new Dictionary<string, string>();
        foreach (var appId in d.AffectedApps)
        {
            if (d.Originals.TryGetValue(appId, out var original))
            {
                targets[appId] = original with { Version = version, VersionInfo = new VersionInfo { LastScalingAt = version, LastConfigChangeAt = version } };
                actions[appId] = currentApp(appId) is null ? DeploymentAction.Start : DeploymentAction.Restart;
            }
            else
            {
                targets[appId] = null;
                actions[appId] = DeploymentAction.Stop;
            }
        }
        // force: the reverted deployment (if still stored) is replaced by its revert
        return new DeploymentRequest { Targets = targets, Actions = actions, Version = version, Force = true, RevertOf = d.Id };
    }
}
