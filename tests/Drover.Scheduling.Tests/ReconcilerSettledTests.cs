using Drover.Core.Cluster;

namespace Drover.Scheduling.Tests;

/// <summary>
/// What lets the server plan only what changed: the apps a plan reports settled, and agents' usage handed in summed
/// beforehand instead of every task.
/// </summary>
public class ReconcilerSettledTests
{
    private static ReconcileInput Input(List<AgentInfo> agents, List<Core.Apps.AppDefinition> apps, List<TaskRecord> tasks,
        IReadOnlyDictionary<string, LaunchBackoff>? backoffs = null) => new()
    {
        Apps = apps, Tasks = tasks, Agents = agents, Now = F.T0, Backoffs = backoffs ?? ReconcileInput.NoBackoffs,
    };

    [Fact]
    public void An_app_with_exactly_its_instances_on_active_agents_is_settled_and_others_are_not()
    {
        List<AgentInfo> agents = [F.Agent("a0"), F.Agent("a1"), F.Agent("a2", status: AgentStatus.Unreachable, lastSeen: F.T0.AddSeconds(-5))];
        var steady = F.App("/steady", instances: 2);
        var shortOne = F.App("/short", instances: 2);
        var surplus = F.App("/surplus", instances: 1);
        var offAgent = F.App("/off", instances: 1);
        var upgrading = F.Changed(F.App("/upgrading", instances: 1), F.T0.AddMinutes(-1));
        List<TaskRecord> tasks =
        [
            F.Task("s1", "/steady", "a0"), F.Task("s2", "/steady", "a1"),
            F.Task("h1", "/short", "a0"),
            F.Task("p1", "/surplus", "a0"), F.Task("p2", "/surplus", "a1"),
            F.Task("o1", "/off", "a2"),
            F.Task("u1", "/upgrading", "a0"),
        ];
        var plan = Reconciler.Plan(Input(agents, [steady, shortOne, surplus, offAgent, upgrading], tasks));
        Assert.Equal(["/steady"], plan.Settled);
    }

    [Fact]
    public void A_launch_backoff_keeps_an_app_from_being_settled()
    {
        List<AgentInfo> agents = [F.Agent("a0")];
        var app = F.App("/web", instances: 1);
        var backoffs = new Dictionary<string, LaunchBackoff> { ["/web"] = new(1, 10, F.T0.AddSeconds(5), F.V1) };
        var plan = Reconciler.Plan(Input(agents, [app], [F.Task("t1", "/web", "a0", stagedAt: F.T0.AddSeconds(-1))], backoffs));
        Assert.Empty(plan.Settled);
    }

    [Fact]
    public void A_settled_app_left_out_with_its_tasks_changes_nothing_for_the_others_when_usage_is_handed_in()
    {
        var agents = Enumerable.Range(0, 4).Select(i => F.Agent($"a{i}", cpus: 2, mem: 1024)).ToList();
        var settled = F.App("/settled", instances: 4, cpus: 1, mem: 256);
        var growing = F.App("/growing", instances: 6, cpus: 0.5, mem: 128);
        var tasks = Enumerable.Range(0, 4).Select(i => F.Task($"s{i}", "/settled", $"a{i}", cpus: 1, mem: 256, ports: [31000 + i])).ToList();
        tasks.Add(F.Task("g0", "/growing", "a0", cpus: 0.5, mem: 128));

        var full = Reconciler.Plan(Input(agents, [settled, growing], tasks));
        Assert.Contains("/settled", full.Settled);

        var byAgent = tasks.GroupBy(t => t.AgentId).ToDictionary(g => g.Key, g => AgentUsage.Of(g));
        var partial = Reconciler.Plan(Input(agents, [growing], tasks.Where(t => t.AppId == "/growing").ToList()) with
        {
            AgentUsage = id => byAgent.GetValueOrDefault(id),
        });

        Assert.Equal(Describe(full), Describe(partial));
        Assert.Empty(partial.Kills); // the left-out app's tasks are not taken for a deleted app's
    }

    [Theory]
    [InlineData(11)]
    [InlineData(12)]
    [InlineData(13)]
    [InlineData(14)]
    public void One_look_at_an_apps_tasks_says_settled_exactly_when_the_plan_does(int seed)
    {
        var rnd = new Random(seed);
        var statuses = new[] { AgentStatus.Active, AgentStatus.Active, AgentStatus.Active, AgentStatus.Draining, AgentStatus.Unreachable };
        var agents = Enumerable.Range(0, 8).Select(i => F.Agent($"a{i}", cpus: 64, mem: 65536, status: statuses[rnd.Next(statuses.Length)],
            lastSeen: F.T0.AddSeconds(-rnd.Next(0, 900)))).ToList();
        for (var round = 0; round < 40; round++)
        {
            var apps = Enumerable.Range(0, 6).Select(i =>
            {
                var app = F.App($"/app{i}", instances: rnd.Next(0, 4), cpus: 0.1, mem: 16, ports: 0);
                return rnd.Next(3) == 0 ? F.Changed(app, F.T0.AddMinutes(-10)) : rnd.Next(3) == 0 ? F.Scaled(app, app.Instances, F.T0.AddMinutes(-10)) : app;
            }).ToList();
            var states = new[] { TaskState.Running, TaskState.Running, TaskState.Staging, TaskState.Starting, TaskState.Failed, TaskState.Killed };
            var tasks = Enumerable.Range(0, rnd.Next(0, 25)).Select(i => F.Task($"t{i:D2}", $"/app{rnd.Next(6)}",
                rnd.Next(12) == 0 ? "gone" : $"a{rnd.Next(8)}", states[rnd.Next(states.Length)],
                version: rnd.Next(3) == 0 ? F.V1 : F.At(F.T0.AddMinutes(-5)), cpus: 0.1, mem: 16,
                killRequested: rnd.Next(6) == 0)).ToList();
            var backoffs = apps.Where(_ => rnd.Next(5) == 0).ToDictionary(a => a.Id, a => new LaunchBackoff(1, 5, F.T0.AddSeconds(rnd.Next(-5, 5)), a.Version));

            var plan = Reconciler.Plan(Input(agents, apps, tasks, backoffs));
            var status = agents.ToDictionary(a => a.Id, a => a.Status);
            foreach (var app in apps)
            {
                var mine = tasks.Where(t => t.AppId == app.Id).ToList();
                var quick = Reconciler.IsSettled(app, mine, id => status.TryGetValue(id, out var st) ? st : null, backoffs.ContainsKey(app.Id));
                Assert.True(quick == plan.Settled.Contains(app.Id), $"round {round}, {app.Id}: one look says {quick}, the plan {plan.Settled.Contains(app.Id)}");
            }
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void The_placer_decides_the_same_from_summed_usage_as_from_every_task(int seed)
    {
        var rnd = new Random(seed);
        var statuses = new[] { AgentStatus.Active, AgentStatus.Active, AgentStatus.Active, AgentStatus.Draining, AgentStatus.Unreachable };
        var agents = Enumerable.Range(0, 60).Select(i => F.Agent(
            $"ag{i:D3}", cpus: rnd.Next(1, 9), mem: rnd.Next(1, 9) * 512, disk: 1000, status: statuses[rnd.Next(statuses.Length)],
            attrs: F.Attrs("rack", $"r{rnd.Next(4)}"), ports: [new PortRange(31000, 31000 + rnd.Next(5, 30))])).ToList();
        var tasks = new List<TaskRecord>();
        for (var i = 0; i < 150; i++)
        {
            var agent = agents[rnd.Next(agents.Count)];
            var state = rnd.Next(10) == 0 ? TaskState.Failed : TaskState.Running;
            tasks.Add(F.Task($"t{i:D3}", $"/app{rnd.Next(12)}", agent.Id, state, cpus: rnd.Next(0, 3) * 0.25, mem: rnd.Next(0, 4) * 64,
                ports: rnd.Next(3) == 0 ? [] : [31000 + rnd.Next(0, 30)]));
        }
        var requests = Enumerable.Range(0, 12).Select(i => new PlacementRequest(
            F.App($"/app{i}", cpus: rnd.Next(1, 6) * 0.25, mem: rnd.Next(1, 6) * 64, ports: rnd.Next(0, 3),
                constraints: i % 4 == 0 ? [F.C("rack", "GROUP_BY")] : i % 4 == 1 ? [F.C("hostname", "UNIQUE")] : []),
            rnd.Next(1, 30))).ToArray();
        var requested = requests.Select(r => r.App.Id).ToHashSet();

        var fromTasks = Placer.Place(new ClusterView(agents, tasks), requests);
        var usage = tasks.GroupBy(t => t.AgentId).ToDictionary(g => g.Key, g => AgentUsage.Of(g));
        var fromUsage = Placer.Place(new ClusterView(agents, tasks.Where(t => requested.Contains(t.AppId)).ToList())
        {
            Usage = id => usage.GetValueOrDefault(id),
        }, requests);

        Assert.Equal(fromTasks.Placements.Select(p => $"{p.AppId}@{p.AgentId}:{string.Join(',', p.HostPorts)}"),
            fromUsage.Placements.Select(p => $"{p.AppId}@{p.AgentId}:{string.Join(',', p.HostPorts)}"));
        Assert.Equal(fromTasks.Unplaced.Select(u => $"{u.AppId}:{u.Count}:{string.Join(',', u.Reasons)}"),
            fromUsage.Unplaced.Select(u => $"{u.AppId}:{u.Count}:{string.Join(',', u.Reasons)}"));
        Assert.NotEmpty(fromTasks.Placements);
    }

    private static string Describe(ReconcilePlan p) =>
        string.Join(";", p.Launches.Select(l => $"{l.App.Id}@{l.Placement.AgentId}:{string.Join(',', l.Placement.HostPorts)}"))
        + "|" + string.Join(";", p.Queue.Select(q => $"{q.AppId}:{q.Count}"));
}
