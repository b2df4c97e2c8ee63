using System.Globalization;
using Drover.Core.Apps;
using Drover.Core.Cluster;
using Drover.Core.Json;

namespace Drover.Scheduling;

/// <summary>What one check of a running deployment decided.</summary>
public abstract record DeploymentCheck
{
    private DeploymentCheck() { }

    /// <summary>Still converging, no progress since the last mark, deadline not reached: nothing to write.</summary>
    public sealed record Waiting : DeploymentCheck;

    /// <summary>The current step converged. <see cref="Next"/> is the record at the next step, null when that was the last one.</summary>
    /// <param name="StoppedApps">Apps the step removed (Marathon sends app_terminated_event for them).</param>
    public sealed record StepDone(DeploymentRecord? Next, IReadOnlyList<string> StoppedApps) : DeploymentCheck;

    /// <summary>The step moved (the mark changed): store <see cref="Updated"/>, which restarts the progress deadline.</summary>
    public sealed record Progressed(DeploymentRecord Updated) : DeploymentCheck;

    /// <summary>No progress within the deadline: the deployment fails; <see cref="Revert"/> asks for an automatic revert.</summary>
    public sealed record Failed(string Reason, bool Revert) : DeploymentCheck;
}

/// <summary>
/// Decides how a running deployment moves on: advance when the step's apps converged, note progress, or fail it
/// once it made none within its progress deadline (Marathon and Nomad both fail a stuck deployment; Nomad's
/// progress_deadline and auto_revert are the model, set here by app labels).
/// </summary>
public static class DeploymentProgress
{
    public const string DeadlineLabel = "DROVER_PROGRESS_DEADLINE_SECONDS";
    public const string AutoRevertLabel = "DROVER_AUTO_REVERT";
    public static readonly TimeSpan DefaultDeadline = TimeSpan.FromMinutes(10);

    /// <param name="currentApp">The stored definition of an app (null = it does not exist).</param>
    /// <param name="tasksOf">The tasks of an app.</param>
    public static DeploymentCheck Check(DeploymentRecord d, Func<string, AppDefinition?> currentApp, Func<string, IReadOnlyList<TaskRecord>> tasksOf, DateTimeOffset now) =>
        Check(d, currentApp, tasksOf, app => DeploymentConvergence.Of(currentApp(app), Target(d, app), tasksOf(app)), now);

    /// <param name="currentApp">The stored definition of an app (null = it does not exist).</param>
    /// <param name="tasksOf">The tasks of an app (read only when the deployment fails, to say why).</param>
    /// <param name="convergence">
    /// <see cref="DeploymentConvergence.Of"/> for an app against its target in <paramref name="d"/>; a caller may hand out a kept
    /// answer while the app's definition and tasks are the ones it was computed on (a pass then costs what changed).
    /// </param>
    public static DeploymentCheck Check(DeploymentRecord d, Func<string, AppDefinition?> currentApp, Func<string, IReadOnlyList<TaskRecord>> tasksOf,
        Func<string, AppConvergence> convergence, DateTimeOffset now)
    {
        var step = d.Steps[d.CurrentStep - 1];
        if (step.Actions.All(a => convergence(a.App).Converged))
        {
            var stopped = step.Actions.Where(a => a.Action == DeploymentAction.Stop).Select(a => a.App).ToList();
            var next = d.CurrentStep >= d.Steps.Count ? null : d with { CurrentStep = d.CurrentStep + 1, LastProgressAt = MarathonTime.ToWire(now), ProgressMark = "" };
            return new DeploymentCheck.StepDone(next, stopped);
        }
        var mark = string.Join(";", step.Actions.Select(a => convergence(a.App).Mark));
        var deadline = Deadline(d);
        var known = MarathonTime.TryParse(d.LastProgressAt, out var since);
        if (mark != d.ProgressMark)
        {
            // progress is stored at most every ProgressInterval: a deployment of 100 apps moves on every pass while it
            // launches, and its record (every target definition) would be written each time; the deadline then counts
            // from up to one interval after the progress, and a deployment whose mark moved is never failed
            if (d.ProgressMark.Length > 0 && known && now - since < ProgressInterval(deadline)) return new DeploymentCheck.Waiting();
            return new DeploymentCheck.Progressed(d with { ProgressMark = mark, LastProgressAt = MarathonTime.ToWire(now) });
        }
        if (!known || now - since < deadline) return new DeploymentCheck.Waiting();
        var detail = string.Join("; ", step.Actions.Select(a => $"{a.App}: {DeploymentConvergence.Describe(currentApp(a.App), tasksOf(a.App))}"));
        // a revert that fails is not reverted again: that would loop between the two versions
        return new DeploymentCheck.Failed($"no progress for {deadline.TotalSeconds:0} s (progress deadline): {detail}", AutoRevert(d) && d.RevertOf is null);
    }

    /// <summary>What <paramref name="d"/> takes <paramref name="appId"/> to (null = removes it).</summary>
    public static AppDefinition? Target(DeploymentRecord d, string appId) => d.Targets.TryGetValue(appId, out var t) ? t : null;

    /// <summary>How often a deployment's progress is stored at most: 5 s, or a tenth of a shorter <paramref name="deadline"/>.</summary>
    public static TimeSpan ProgressInterval(TimeSpan deadline) => deadline / 10 < TimeSpan.FromSeconds(5) ? deadline / 10 : TimeSpan.FromSeconds(5);

    /// <summary>The shortest deadline any target app asks for (label <see cref="DeadlineLabel"/>, seconds), else the default.</summary>
    public static TimeSpan Deadline(DeploymentRecord d)
    {
        var seconds = d.Targets.Values
            .Select(a => a.Labels.TryGetValue(DeadlineLabel, out var v) && double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var x) && x > 0 ? x : (double?)null)
            .Where(x => x is not null).Select(x => x!.Value).DefaultIfEmpty(DefaultDeadline.TotalSeconds).Min();
        return TimeSpan.FromSeconds(seconds);
    }

    private static bool AutoRevert(DeploymentRecord d) =>
        d.Targets.Values.Any(a => a.Labels.TryGetValue(AutoRevertLabel, out var v) && string.Equals(v, "true", StringComparison.OrdinalIgnoreCase));
}
