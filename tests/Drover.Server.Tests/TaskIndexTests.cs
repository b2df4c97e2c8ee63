using Drover.Core.Cluster;
using Drover.Server.Storage;
using Drover.State;

namespace Drover.Server.Tests;

/// <summary>The task views the store carries from write to write (task index, draining tasks) agree with ones built from scratch.</summary>
public sealed class TaskIndexTests // and DrainingTasks, the other view of tasks
{
    private static TaskRecord Task(string id, string agent, string app, bool draining = false) => new()
    {
        Id = id, AppId = app, AgentId = agent, Host = agent, Version = "2030-01-01T00:00:00.000Z", StagedAt = "2030-01-01T00:00:00.000Z",
        KillRequested = draining, Draining = draining,
    };

    private static string Show(StateSnapshot s, IEnumerable<string> agents, IEnumerable<string> apps) =>
        string.Join(";", agents.Select(a => a + "=" + string.Join(",", TaskIndex.OnAgent(s, a).Select(t => t.Id))))
        + "|" + string.Join(";", apps.Select(a => a + "=" + string.Join(",", TaskIndex.OfApp(s, a).Select(t => t.Id))))
        + "|draining=" + string.Join(",", DrainingTasks.Of(s).Select(t => t.Id));

    [Fact(Timeout = 60_000)]
    public async Task Random_writes_keep_the_carried_index_equal_to_a_fresh_one()
    {
        await using var store = new InMemoryStateStore();
        var random = new Random(7);
        string[] agents = ["a1", "a2", "a3", "a4"], apps = ["/x", "/y", "/z"];
        var live = new List<string>();
        _ = TaskIndex.OnAgent(store.Current, "a1"); // asked for once: from here on the store carries it
        _ = DrainingTasks.Of(store.Current).Count();
        for (var round = 0; round < 200; round++)
        {
            var ops = new List<StateOp>();
            for (var i = random.Next(1, 6); i > 0; i--)
            {
                if (live.Count > 0 && random.Next(3) == 0)
                {
                    var gone = live[random.Next(live.Count)];
                    live.Remove(gone);
                    ops.Add(StateOp.Delete(Schema.Tasks, gone));
                }
                else
                {
                    // a new task, or an existing one rewritten (even moved to another agent or app: the index must follow)
                    var id = live.Count > 0 && random.Next(2) == 0 ? live[random.Next(live.Count)] : $"t{round}-{i}";
                    if (!live.Contains(id)) live.Add(id);
                    ops.Add(StateOp.Put(Schema.Tasks, id, Task(id, agents[random.Next(agents.Length)], apps[random.Next(apps.Length)], draining: random.Next(3) == 0)));
                }
            }
            if (random.Next(10) == 0) ops = [new StateOp("other", "x", [(byte)round])]; // a write that leaves tasks alone
            await store.ApplyAsync(ops);
            var carried = store.Current;
            var fresh = new StateSnapshot(carried.Index, carried.Collections); // holds no views: built from scratch
            Assert.Equal(Show(fresh, agents, apps), Show(carried, agents, apps));
        }
    }

    [Fact(Timeout = 60_000)]
    public async Task An_agent_whose_tasks_did_not_change_keeps_the_same_group()
    {
        await using var store = new InMemoryStateStore();
        await store.ApplyAsync([StateOp.Put(Schema.Tasks, "t1", Task("t1", "a1", "/x")), StateOp.Put(Schema.Tasks, "t2", Task("t2", "a2", "/x"))]);
        var a1 = TaskIndex.OfAgent(store.Current, "a1");
        var a2 = TaskIndex.OfAgent(store.Current, "a2");
        await store.ApplyAsync([StateOp.Put(Schema.Tasks, "t3", Task("t3", "a2", "/y"))]);
        Assert.Same(a1, TaskIndex.OfAgent(store.Current, "a1"));
        Assert.NotSame(a2, TaskIndex.OfAgent(store.Current, "a2"));
        Assert.Equal(["t2", "t3"], TaskIndex.OnAgent(store.Current, "a2").Select(t => t.Id));
    }
}
