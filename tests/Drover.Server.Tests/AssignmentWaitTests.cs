using Drover.Core.Apps;
using Drover.Core.Cluster;
using Drover.Server.Agents;
using Drover.Server.Storage;
using Drover.State;

namespace Drover.Server.Tests;

/// <summary>An agent's long poll answers when its own task set changes, not on every write to the store.</summary>
public sealed class AssignmentWaitTests
{
    private const string Version = "2026-01-01T00:00:00.000Z";

    private static TaskRecord Task(string id, string agent) => new()
    {
        Id = id, AppId = "/web", AgentId = agent, Host = agent, Version = Version, StagedAt = Version,
    };

    /// <summary>App /web with its task web.1 on agent a1.</summary>
    private static async Task<InMemoryStateStore> StoreWithOneTaskAsync()
    {
        var store = new InMemoryStateStore();
        await store.ApplyAsync([
            StateOp.Put(Schema.Apps, "/web", new AppDefinition { Id = "/web", Version = Version, Instances = 1, Cmd = "x" }),
            StateOp.Put(Schema.Tasks, "web.1", Task("web.1", "a1")),
        ]);
        return store;
    }

    [Fact(Timeout = 20000)]
    public async Task A_waiting_agent_sleeps_through_other_writes_and_wakes_for_its_own_tasks()
    {
        await using var store = await StoreWithOneTaskAsync();
        var service = new AssignmentService(store);
        var before = AssignmentService.Compute(store.Current, "a1");

        var waiting = service.WaitAsync("a1", before.Fingerprint, TimeSpan.FromSeconds(15), CancellationToken.None);
        // writes that leave a1's set alone: KV, another agent's task, a status change of a1's task
        await store.ApplyAsync([new StateOp("kv", "x", [1])]);
        await store.ApplyAsync([StateOp.Put(Schema.Tasks, "web.2", Task("web.2", "a2"))]);
        await store.ApplyAsync([StateOp.Put(Schema.Tasks, "web.1", Task("web.1", "a1") with { State = TaskState.Running })]);
        Assert.False(waiting.IsCompleted);
        await store.ApplyAsync([StateOp.Put(Schema.Tasks, "web.3", Task("web.3", "a1"))]);
        var after = await waiting;

        Assert.NotEqual(before.Fingerprint, after.Fingerprint);
        Assert.Equal(["web.1", "web.3"], after.Tasks.Select(t => t.Spec.TaskId));
        Assert.Equal(after.Fingerprint, AssignmentService.Fingerprint(store.Current, "a1"));
    }

    [Fact(Timeout = 20000)]
    public async Task A_kill_mark_and_a_vanished_app_change_the_fingerprint()
    {
        await using var store = await StoreWithOneTaskAsync();
        var first = AssignmentService.Fingerprint(store.Current, "a1");
        await store.ApplyAsync([StateOp.Put(Schema.Tasks, "web.1", Task("web.1", "a1") with { KillRequested = true })]);
        var killed = AssignmentService.Compute(store.Current, "a1");
        await store.ApplyAsync([StateOp.Delete(Schema.Apps, "/web")]);
        var gone = AssignmentService.Compute(store.Current, "a1");

        Assert.NotEqual(first, killed.Fingerprint);
        Assert.True(killed.Tasks.Single().Kill);
        Assert.NotEqual(killed.Fingerprint, gone.Fingerprint);
        Assert.Empty(gone.Tasks); // it cannot be described any more, so the agent kills it
    }

    [Fact(Timeout = 20000)]
    public async Task A_waiting_agent_wakes_for_a_kill_mark_but_not_for_health_and_state_changes_of_its_tasks()
    {
        await using var store = await StoreWithOneTaskAsync();
        var service = new AssignmentService(store);
        var before = AssignmentService.Compute(store.Current, "a1");

        var waiting = service.WaitAsync("a1", before.Fingerprint, TimeSpan.FromSeconds(15), CancellationToken.None);
        await store.ApplyAsync([StateOp.Put(Schema.Tasks, "web.1", Task("web.1", "a1") with { State = TaskState.Running })]);
        await store.ApplyAsync([StateOp.Put(Schema.Tasks, "web.1", Task("web.1", "a1") with { State = TaskState.Running, StartedAt = Version })]);
        Assert.False(waiting.IsCompleted);
        await store.ApplyAsync([StateOp.Put(Schema.Tasks, "web.1", Task("web.1", "a1") with { State = TaskState.Running, KillRequested = true })]);
        var after = await waiting;

        Assert.True(after.Tasks.Single().Kill);
        Assert.NotEqual(before.Fingerprint, after.Fingerprint);
    }
}
