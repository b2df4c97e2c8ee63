using Drover.Core.Apps;
using Drover.Core.Cluster;

namespace Drover.Scheduling.Tests;

/// <summary>An agent returns after its task was replaced: label DROVER_UNREACHABLE_KEEP picks which of the two goes.</summary>
public class ReconcilerKeepPreferenceTests
{
    /// <summary>t1 on a1 (the app's one instance) was cut off, replaced by a task on a2, and a1 is back: one of the two is surplus.</summary>
    private static Sim Returned(string? keep, string killSelection = KillSelections.YoungestFirst)
    {
        var sim = new Sim();
        for (var i = 0; i < 3; i++) sim.Agents.Add(F.Agent($"a{i}"));
        var labels = keep is null ? Empty.Strings : new Dictionary<string, string> { [UnreachableKeep.Label] = keep };
        sim.SetApp(F.App(instances: 1) with { Labels = labels, KillSelection = killSelection });
        sim.Tasks.Add(F.Task("t1", "/web", "a1", stagedAt: F.T0.AddMinutes(-20)));
        sim.SetAgent("a1", a => a with { Status = AgentStatus.Unreachable });
        sim.Step();
        sim.Progress();
        Assert.Equal(2, sim.Tasks.Count);
        var i1 = sim.Tasks.FindIndex(t => t.Id == "t1");
        sim.Tasks[i1] = sim.Tasks[i1] with { WasUnreachable = true };
        sim.SetAgent("a1", a => a with { Status = AgentStatus.Active, LastSeenAt = F.At(sim.Now) });
        return sim;
    }

    private static string Replacement(Sim sim) => sim.Tasks.Single(t => t.Id != "t1").Id;

    [Fact]
    public void Keep_returning_kills_the_replacement_even_with_oldest_first()
    {
        var sim = Returned(UnreachableKeep.Returning, KillSelections.OldestFirst);
        var kill = Assert.Single(sim.Plan().Kills);
        Assert.Equal((Replacement(sim), KillReason.DuplicateAfterReconnect), (kill.TaskId, kill.Reason));
    }

    [Fact]
    public void Keep_replacement_kills_the_returning_task_even_with_youngest_first()
    {
        var sim = Returned(UnreachableKeep.Replacement);
        var kill = Assert.Single(sim.Plan().Kills);
        Assert.Equal(("t1", KillReason.DuplicateAfterReconnect), (kill.TaskId, kill.Reason));
    }

    [Theory]
    [InlineData(KillSelections.YoungestFirst, false)]
    [InlineData(KillSelections.OldestFirst, true)]
    public void Without_the_label_kill_selection_decides_as_in_Marathon(string killSelection, bool returningGoes)
    {
        var sim = Returned(null, killSelection);
        var kill = Assert.Single(sim.Plan().Kills);
        // the returning task is the older one: YOUNGEST_FIRST (the default) keeps it, OLDEST_FIRST kills it
        var expected = returningGoes ? "t1" : Replacement(sim);
        Assert.Equal(expected, kill.TaskId);
    }

    [Fact]
    public void A_returning_task_still_starting_is_waited_for_then_kept_once_it_runs()
    {
        var sim = Returned(UnreachableKeep.Returning);
        var i1 = sim.Tasks.FindIndex(t => t.Id == "t1");
        // restarted by the agent while cut off: its first report says it is starting
        sim.Tasks[i1] = sim.Tasks[i1] with { State = TaskState.Starting, StagedAt = F.At(sim.Now.AddSeconds(-1)) };
        Assert.Empty(sim.Plan().Kills);
        sim.Tasks[i1] = sim.Tasks[i1] with { State = TaskState.Running };
        Assert.Equal(Replacement(sim), Assert.Single(sim.Plan().Kills).TaskId);
    }

    [Fact]
    public void A_returning_task_stuck_starting_goes_first_whatever_the_label()
    {
        var sim = Returned(UnreachableKeep.Returning);
        var i1 = sim.Tasks.FindIndex(t => t.Id == "t1");
        sim.Tasks[i1] = sim.Tasks[i1] with { State = TaskState.Staging, StagedAt = F.At(sim.Now.AddMinutes(-5)) };
        Assert.Equal("t1", Assert.Single(sim.Plan().Kills).TaskId);
    }

    [Fact]
    public void The_label_plays_no_part_in_a_plain_scale_down()
    {
        var sim = new Sim();
        for (var i = 0; i < 2; i++) sim.Agents.Add(F.Agent($"a{i}"));
        var app = F.App(instances: 2) with { Labels = new Dictionary<string, string> { [UnreachableKeep.Label] = UnreachableKeep.Returning } };
        sim.SetApp(app);
        sim.Tasks.Add(F.Task("t0", "/web", "a0", stagedAt: F.T0.AddMinutes(-30)) with { WasUnreachable = true });
        sim.Tasks.Add(F.Task("t1", "/web", "a1", stagedAt: F.T0.AddMinutes(-20)));
        sim.SetApp(F.Scaled(sim.Apps[0], 1, F.T0));
        var kill = Assert.Single(sim.Plan().Kills);
        Assert.Equal((("t1"), KillReason.ScaleDown), (kill.TaskId, kill.Reason)); // youngest first, the label ignored
    }
}
