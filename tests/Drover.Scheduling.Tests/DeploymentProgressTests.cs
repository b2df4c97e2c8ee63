using Drover.Core.Apps;
using Drover.Core.Cluster;
using static Drover.Scheduling.Tests.F;

namespace Drover.Scheduling.Tests;

public class DeploymentProgressTests
{
    private static readonly AppDefinition Old = App("/web", instances: 2, version: V1);
    private static readonly AppDefinition New = Changed(Old, T0.AddMinutes(-10));

    private static DeploymentRecord Deployment(AppDefinition target, DateTimeOffset lastProgress, string mark = "", int steps = 1) => new()
    {
        Id = "d1",
        Version = target.Version!,
        AffectedApps = [target.Id],
        Steps = Enumerable.Range(0, steps).Select(_ => new DeploymentStep { Actions = [new DeploymentAction(DeploymentAction.Restart, target.Id)] }).ToList(),
        Targets = new Dictionary<string, AppDefinition> { [target.Id] = target },
        Originals = new Dictionary<string, AppDefinition> { [Old.Id] = Old },
        StartedAt = At(lastProgress),
        LastProgressAt = At(lastProgress),
        ProgressMark = mark,
    };

    private static DeploymentCheck Check(DeploymentRecord d, AppDefinition? current, params TaskRecord[] tasks) =>
        DeploymentProgress.Check(d, _ => current, _ => tasks, T0);

    [Fact]
    public void An_app_converges_when_all_its_instances_run_the_target_version_and_none_is_being_killed()
    {
        TaskRecord[] done = [Task("t1", "/web", "a1", version: New.Version), Task("t2", "/web", "a1", version: New.Version)];
        Assert.True(DeploymentConvergence.IsConverged(New, New, done));
        Assert.False(DeploymentConvergence.IsConverged(Old, New, done)); // the step has not written the target yet
        Assert.False(DeploymentConvergence.IsConverged(New, New, done[..1]));
        Assert.False(DeploymentConvergence.IsConverged(New, New, [done[0], Task("t3", "/web", "a1", version: Old.Version)]));
        Assert.False(DeploymentConvergence.IsConverged(New, New, [done[0], done[1] with { KillRequested = true }]));
        Assert.False(DeploymentConvergence.IsConverged(New, New, [done[0], done[1] with { State = TaskState.Staging }]));
        // a removal converges once the app and all its tasks are gone
        Assert.False(DeploymentConvergence.IsConverged(null, null, done));
        Assert.True(DeploymentConvergence.IsConverged(null, null, []));
    }

    [Fact]
    public void A_converged_last_step_finishes_and_a_converged_earlier_step_moves_to_the_next()
    {
        TaskRecord[] tasks = [Task("t1", "/web", "a1", version: New.Version), Task("t2", "/web", "a1", version: New.Version)];
        var last = Assert.IsType<DeploymentCheck.StepDone>(Check(Deployment(New, T0.AddMinutes(-1)), New, tasks));
        Assert.Null(last.Next);
        Assert.Empty(last.StoppedApps);

        var first = Assert.IsType<DeploymentCheck.StepDone>(Check(Deployment(New, T0.AddMinutes(-1), mark: "1/0/2", steps: 2), New, tasks));
        Assert.Equal(2, first.Next!.CurrentStep);
        Assert.Equal(At(T0), first.Next.LastProgressAt);
        Assert.Equal("", first.Next.ProgressMark);
    }

    [Fact]
    public void Progress_is_stored_at_most_every_interval_and_a_moving_deployment_never_fails()
    {
        TaskRecord[] moved = [Task("t1", "/web", "a1", version: New.Version), Task("t2", "/web", "a1", version: Old.Version)];
        Assert.Equal(TimeSpan.FromSeconds(5), DeploymentProgress.ProgressInterval(DeploymentProgress.DefaultDeadline));
        Assert.Equal(TimeSpan.FromSeconds(3), DeploymentProgress.ProgressInterval(TimeSpan.FromSeconds(30)));
        // moved 4 s after the last stored progress: not stored yet
        Assert.IsType<DeploymentCheck.Waiting>(Check(Deployment(New, T0.AddSeconds(-4), mark: "0/2/2"), New, moved));
        // 5 s after: stored, and the deadline restarts
        var stored = Assert.IsType<DeploymentCheck.Progressed>(Check(Deployment(New, T0.AddSeconds(-5), mark: "0/2/2"), New, moved));
        Assert.Equal(At(T0), stored.Updated.LastProgressAt);
        // a step's first mark is stored at once
        Assert.IsType<DeploymentCheck.Progressed>(Check(Deployment(New, T0, mark: ""), New, moved));
        // past the deadline, a moved mark is progress, not a failure
        Assert.IsType<DeploymentCheck.Progressed>(Check(Deployment(New, T0.AddMinutes(-11), mark: "0/2/2"), New, moved));
    }

    [Fact]
    public void A_converged_removal_names_the_apps_it_stopped()
    {
        var d = Deployment(New, T0) with
        {
            Steps = [new DeploymentStep { Actions = [new DeploymentAction(DeploymentAction.Stop, "/web")] }],
            Targets = new Dictionary<string, AppDefinition>(),
        };
        Assert.Equal(["/web"], Assert.IsType<DeploymentCheck.StepDone>(Check(d, null)).StoppedApps);
        Assert.IsType<DeploymentCheck.Progressed>(Check(d, null, Task("t1", "/web", "a1")));
    }

    [Fact]
    public void Progress_moves_the_mark_and_restarts_the_deadline()
    {
        var d = Deployment(New, T0.AddMinutes(-30), mark: "0/2/2");
        var moved = Assert.IsType<DeploymentCheck.Progressed>(Check(d, New, Task("t1", "/web", "a1", version: New.Version), Task("t2", "/web", "a1", version: Old.Version)));
        Assert.Equal("1/1/2", moved.Updated.ProgressMark);
        Assert.Equal(At(T0), moved.Updated.LastProgressAt);
    }

    [Fact]
    public void No_progress_waits_until_the_deadline_then_fails_with_what_is_left()
    {
        TaskRecord[] stuck = [Task("t1", "/web", "a1", version: New.Version, state: TaskState.Staging), Task("t2", "/web", "a1", version: Old.Version)];
        var mark = DeploymentConvergence.Mark(New, stuck);
        Assert.Equal("0/1/2", mark);
        Assert.IsType<DeploymentCheck.Waiting>(Check(Deployment(New, T0.AddMinutes(-9), mark), New, stuck));

        var failed = Assert.IsType<DeploymentCheck.Failed>(Check(Deployment(New, T0.AddMinutes(-10), mark), New, stuck));
        Assert.Equal("no progress for 600 s (progress deadline): /web: 0 of 2 new instance(s) healthy, 1 old instance(s) left", failed.Reason);
        Assert.False(failed.Revert);
    }

    [Fact]
    public void Labels_shorten_the_deadline_and_ask_for_a_revert_except_on_a_revert()
    {
        var labeled = New with { Labels = new Dictionary<string, string> { [DeploymentProgress.DeadlineLabel] = "30", [DeploymentProgress.AutoRevertLabel] = "TRUE" } };
        TaskRecord[] stuck = [Task("t2", "/web", "a1", version: Old.Version)];
        var d = Deployment(labeled, T0.AddSeconds(-30), DeploymentConvergence.Mark(labeled, stuck));
        Assert.Equal(TimeSpan.FromSeconds(30), DeploymentProgress.Deadline(d));
        var failed = Assert.IsType<DeploymentCheck.Failed>(Check(d, labeled, stuck));
        Assert.StartsWith("no progress for 30 s", failed.Reason);
        Assert.True(failed.Revert);
        Assert.False(Assert.IsType<DeploymentCheck.Failed>(Check(d with { RevertOf = "d0" }, labeled, stuck)).Revert);

        var bad = New with { Labels = new Dictionary<string, string> { [DeploymentProgress.DeadlineLabel] = "soon" } };
        Assert.Equal(DeploymentProgress.DefaultDeadline, DeploymentProgress.Deadline(Deployment(bad, T0)));
    }
}
