using Drover.Core.Apps;
using Drover.Core.Cluster;
using Drover.Scheduling;
using Drover.State;
using Drover.Server.Storage;

namespace Drover.Server.Deployments;

/// <summary>
/// Advances deployments as their apps converge, and fails (optionally reverts) those that made no
/// progress within their deadline. Runs inside the reconcile pass, on the same snapshot.
/// </summary>
public sealed class DeploymentMonitor(DeploymentService deployments, DeploymentEvents events, TimeProvider time, Metrics.ServerMetrics metrics)
{
    private readonly ConvergenceMemo _memo = new();

    /// <summary>How many app answers the checks computed rather than kept (for tests).</summary>
    public long ConvergenceComputed => _memo.Computed;

    /// <summary>Ops for this pass; their events go on <paramref name="after"/>, to be stored with them.</summary>
    public List<StateOp> Check(StateSnapshot s, WriteEffects after)
    {
        var ops = new List<StateOp>();
        var records = s.All(Schema.Deployments).ToList();
        _memo.Retain(records.SelectMany(d => d.Steps[d.CurrentStep - 1].Actions.Select(a => a.App)).ToHashSet(StringComparer.Ordinal));
        if (records.Count == 0) return ops;
        var now = time.GetUtcNow();
        var groups = TaskIndex.AppGroups(s);
        IReadOnlyList<TaskRecord> TasksOf(string id) => TaskIndex.OfApp(s, id).ToList();

        foreach (var d in records)
        {
            AppConvergence Convergence(string app) =>
                _memo.Of(app, s.Get(Schema.Apps, app), DeploymentProgress.Target(d, app), groups.GetValueOrDefault(app));
            switch (DeploymentProgress.Check(d, id => s.Get(Schema.Apps, id), TasksOf, Convergence, now))
            {
                case DeploymentCheck.StepDone done:
                    events.StepSucceeded(after, d);
                    foreach (var appId in done.StoppedApps) deployments.AppTerminated(after, appId);
                    if (done.Next is null)
                    {
                        ops.Add(StateOp.Delete(Schema.Deployments, d.Id));
                        events.Succeeded(after, d);
                        Finished(after, d, succeeded: true, now);
                    }
                    else
                    {
                        ops.Add(StateOp.Put(Schema.Deployments, d.Id, done.Next));
                        ops.AddRange(DeploymentService.ApplyStep(s, done.Next, done.Next.CurrentStep));
                        events.Info(after, done.Next);
                    }
                    break;
                case DeploymentCheck.Progressed progressed:
                    ops.Add(StateOp.Put(Schema.Deployments, d.Id, progressed.Updated));
                    break;
                case DeploymentCheck.Failed failed:
                    ops.Add(StateOp.Delete(Schema.Deployments, d.Id));
                    events.Failed(after, d, failed.Reason);
                    Finished(after, d, succeeded: false, now);
                    if (failed.Revert)
                    {
                        var revert = deployments.PlanRevert(s, d, "auto-revert after: " + failed.Reason);
                        ops.AddRange(revert.Ops);
                        deployments.Started(after, revert);
                    }
                    break;
            }
        }
        return ops;
    }

    /// <summary>Counted once the end is durable (a refused write ends nothing).</summary>
    private void Finished(WriteEffects after, DeploymentRecord d, bool succeeded, DateTimeOffset now)
    {
        var took = Core.Json.MarathonTime.TryParse(d.StartedAt, out var started) ? now - started : TimeSpan.Zero;
        after.Add(() => metrics.DeploymentFinished(succeeded, took));
    }
}
