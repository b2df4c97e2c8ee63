using System.Collections.Immutable;
using Drover.Core.Apps;
using Drover.Core.Cluster;
using Drover.Scheduling;
using Drover.Server.Deployments;

namespace Drover.Server.Tests;

/// <summary>A deployment check keeps each app's answer while the app's definition and tasks are the same objects, and only then.</summary>
public class ConvergenceMemoTests
{
    private const string V1 = "2026-01-01T00:00:00.000Z";
    private const string V2 = "2026-01-02T00:00:00.000Z";

    private static AppDefinition App(string version, int instances = 2) => new() { Id = "/web", Version = version, Instances = instances };

    private static TaskRecord Task(string id, string version, TaskState state = TaskState.Running) => new()
    {
        Id = id, AppId = "/web", AgentId = "a1", Host = "node-a1", State = state, Version = version, StagedAt = V1,
    };

    private static ImmutableSortedDictionary<string, TaskRecord> Group(params TaskRecord[] tasks) =>
        tasks.ToImmutableSortedDictionary(t => t.Id, t => t, StringComparer.Ordinal);

    [Fact]
    public void Unchanged_inputs_are_answered_from_the_memo_and_any_change_is_computed_again()
    {
        var memo = new ConvergenceMemo();
        var app = App(V2);
        var staging = Group(Task("t1", V2), Task("t2", V2, TaskState.Staging));

        var first = memo.Of("/web", app, app, staging);
        Assert.Equal(new AppConvergence(false, "1/0/2"), first);
        Assert.Equal(1, memo.Computed);
        Assert.Equal(first, memo.Of("/web", app, app, staging));
        Assert.Equal(1, memo.Computed);

        // a task reported running: a new group object, a new answer
        var running = Group(Task("t1", V2), Task("t2", V2));
        Assert.Equal(new AppConvergence(true, "2/0/2"), memo.Of("/web", app, app, running));
        Assert.Equal(2, memo.Computed);

        // an equal but new definition (the app was written again) is computed again
        Assert.Equal(new AppConvergence(true, "2/0/2"), memo.Of("/web", app with { }, app, running));
        Assert.Equal(3, memo.Computed);

        // another target version: the same tasks no longer converge
        var appNow = App(V2);
        Assert.True(memo.Of("/web", appNow, App(V2), running).Converged);
        Assert.False(memo.Of("/web", appNow, App("2026-01-03T00:00:00.000Z"), running).Converged);
        Assert.Equal(5, memo.Computed);
    }

    [Fact]
    public void An_app_without_tasks_and_a_removal_are_kept_too_and_retain_drops_ended_apps()
    {
        var memo = new ConvergenceMemo();
        Assert.Equal(new AppConvergence(true, "stop:0"), memo.Of("/web", null, null, null));
        Assert.Equal(new AppConvergence(true, "stop:0"), memo.Of("/web", null, null, null));
        Assert.Equal(1, memo.Computed);

        memo.Retain(new HashSet<string>(StringComparer.Ordinal) { "/other" });
        memo.Of("/web", null, null, null);
        Assert.Equal(2, memo.Computed);
    }

    [Fact]
    public void The_check_with_kept_answers_decides_what_the_check_over_tasks_decides()
    {
        var oldApp = App(V1);
        var app = App(V2);
        var d = new DeploymentRecord
        {
            Id = "d1", Version = V2, AffectedApps = ["/web"],
            Steps = [new DeploymentStep { Actions = [new DeploymentAction(DeploymentAction.Restart, "/web")] }],
            Targets = new Dictionary<string, AppDefinition> { ["/web"] = app },
            Originals = new Dictionary<string, AppDefinition> { ["/web"] = oldApp },
            StartedAt = V1, LastProgressAt = V1, ProgressMark = "",
        };
        var now = DateTimeOffset.Parse("2026-01-01T00:05:00Z");
        var memo = new ConvergenceMemo();
        foreach (var group in new[] { Group(), Group(Task("t1", V1), Task("t2", V2, TaskState.Staging)), Group(Task("t2", V2), Task("t3", V2)) })
        {
            var plain = DeploymentProgress.Check(d, _ => app, _ => [.. group.Values], now);
            var kept = DeploymentProgress.Check(d, _ => app, _ => [.. group.Values], a => memo.Of(a, app, DeploymentProgress.Target(d, a), group), now);
            Assert.Equal(plain.GetType(), kept.GetType());
            if (plain is DeploymentCheck.Progressed p) Assert.Equal(p.Updated.ProgressMark, ((DeploymentCheck.Progressed)kept).Updated.ProgressMark);
        }
    }
}
