using System.Globalization;
using Drover.Core.Apps;
using Drover.Core.Cluster;
using Drover.Core.Json;
using Drover.State;
using Drover.Server.Storage;

namespace Drover.Server.Deployments;

/// <summary>
/// Advances deployments as their apps converge, and fails (optionally reverts) those that made no
/// progress within their deadline. Runs inside the reconcile pass, on the same snapshot.
/// </summary>
public sealed class DeploymentMonitor(DeploymentService deployments, DeploymentEvents events, TimeProvider time)
{
    public const string DeadlineLabel = "DROVER_PROGRESS_DEADLINE_SECONDS";
    public const string AutoRevertLabel = "DROVER_AUTO_REVERT";
    public static readonly TimeSpan DefaultDeadline = TimeSpan.FromMinutes(10);

    /// <summary>Ops for this pass; their events go on <paramref name="after"/>, to be stored with them.</summary>
    public List<StateOp> Check(StateSnapshot s, WriteEffects after)
    {
        var ops = new List<StateOp>();
        var records = s.All(Schema.Deployments).ToList();
        if (records.Count == 0) return ops;
        var now = time.GetUtcNow();
        IReadOnlyList<TaskRecord> TasksOf(string id) => Tasks.TaskIndex.OfApp(s, id).ToList();

        foreach (var d in records)
        {
            var step = d.Steps[d.CurrentStep - 1];
            var converged = step.Actions.All(a => DeploymentConvergence.IsConverged(s, a.App, Target(d, a.App), TasksOf(a.App)));
            if (converged)
            {
                events.StepSucceeded(after, d);
                foreach (var a in step.Actions.Where(a => a.Action == DeploymentAction.Stop))
                {
                    deployments.AppTerminated(after, a.App);
                }
                if (d.CurrentStep >= d.Steps.Count)
                {
                    ops.Add(StateOp.Delete(Schema.Deployments, d.Id));
                    events.Succeeded(after, d);
                }
                else
                {
                    var next = d with { CurrentStep = d.CurrentStep + 1, LastProgressAt = MarathonTime.ToWire(now), ProgressMark = "" };
                    ops.Add(StateOp.Put(Schema.Deployments, d.Id, next));
                    ops.AddRange(DeploymentService.ApplyStep(s, next, next.CurrentStep));
                    events.Info(after, next);
                }
                continue;
            }
            var mark = string.Join(";", step.Actions.Select(a => DeploymentConvergence.Mark(s.Get(Schema.Apps, a.App), TasksOf(a.App))));
            if (mark != d.ProgressMark)
            {
                ops.Add(StateOp.Put(Schema.Deployments, d.Id, d with { ProgressMark = mark, LastProgressAt = MarathonTime.ToWire(now) }));
                continue;
            }
            var deadline = Deadline(d);
            if (!MarathonTime.TryParse(d.LastProgressAt, out var since) || now - since < deadline) continue;
            var detail = string.Join("; ", step.Actions.Select(a => $"{a.App}: {DeploymentConvergence.Describe(s.Get(Schema.Apps, a.App), TasksOf(a.App))}"));
            var reason = $"no progress for {deadline.TotalSeconds:0} s (progress deadline): {detail}";
            ops.Add(StateOp.Delete(Schema.Deployments, d.Id));
            events.Failed(after, d, reason);
            if (AutoRevert(d) && d.RevertOf is null)
            {
                var revert = deployments.PlanRevert(s, d, "auto-revert after: " + reason);
                ops.AddRange(revert.Ops);
                deployments.Started(after, revert);
            }
        }
        return ops;
    }

    private static AppDefinition? Target(DeploymentRecord d, string appId) => d.Targets.TryGetValue(appId, out var t) ? t : null;

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
