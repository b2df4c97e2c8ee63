using Drover.Core.Cluster;
using Drover.Lb.Model;
using Drover.Lb.Planning;
using static Drover.Lb.Tests.Fixtures;

namespace Drover.Lb.Tests;

public class PlannerTests
{
    private static LbConfig Build(params Drover.Core.Cluster.TaskRecord[] tasks) =>
        DesiredState.Build([App("/web")], tasks, "external", LbConfig.Empty).Config;

    [Fact]
    public void InstanceChangesAreRuntimeOpsWithoutReload()
    {
        var current = Build(Task("/web", "web.a", 31001), Task("/web", "web.b", 31002));
        var desired = Build(Task("/web", "web.a", 31001, kill: true), Task("/web", "web.c", 31003));
        var plan = Planner.Plan(current, desired);
        Assert.False(plan.NeedsReload);
        Assert.Equal<RuntimeOp>(
            [
                new AddServer("web_0", new LbServer("web.c", "web.c", "127.0.0.1", 31003, ServerState.Ready)),
                new SetServerState("web_0", "web.a", ServerState.Drain),
                new DelServer("web_0", "web.b"),
            ],
            plan.Ops);
    }

    /// <summary>
    /// A rolling step seen in one plan: the last old servers drain or go while the new ones come. Every op is a separate
    /// runtime command with requests in between, so after each one some server must still take traffic.
    /// </summary>
    [Fact]
    public void CapacityNeverDropsToNothingBetweenTheOpsOfARollingStep()
    {
        var current = Build(Task("/web", "old.a", 31001), Task("/web", "old.b", 31002), Task("/web", "new.c", 31003, TaskState.Staging));
        var desired = Build(Task("/web", "old.a", 31001, kill: true), Task("/web", "new.c", 31003), Task("/web", "new.d", 31004));
        var plan = Planner.Plan(current, desired);
        var ready = current.Backend("web_0")!.Servers.Where(s => s.State == ServerState.Ready).Select(s => s.Name).ToHashSet();
        Assert.NotEmpty(ready);
        foreach (var op in plan.Ops)
        {
            switch (op)
            {
                case AddServer a when a.Added.State == ServerState.Ready: ready.Add(a.Server); break;
                case SetServerState { State: ServerState.Ready } r: ready.Add(r.Server); break;
                default: ready.Remove(op.Server); break;
            }
            Assert.True(ready.Count > 0, $"no ready server after {op}: {string.Join(", ", plan.Ops)}");
        }
        Assert.Equal(["new.c", "new.d"], ready.Order());
    }

    [Fact]
    public void SameStateIsAnEmptyPlan() =>
        Assert.True(Planner.Plan(Build(Task("/web", "web.a", 31001)), Build(Task("/web", "web.a", 31001))).IsEmpty);

    [Fact]
    public void AMovedServerIsDeletedAndAddedAgain()
    {
        var plan = Planner.Plan(Build(Task("/web", "web.a", 31001)), Build(Task("/web", "web.a", 31009)));
        Assert.Equal(2, plan.Ops.Count);
        Assert.IsType<DelServer>(plan.Ops[0]);
        Assert.Equal(31009, Assert.IsType<AddServer>(plan.Ops[1]).Added.Port);
    }

    [Fact]
    public void FrontendOrBackendChangesNeedAReload()
    {
        var current = Build(Task("/web", "web.a", 31001));
        var newApp = DesiredState.Build([App("/web"), App("/other", servicePort: 10001)], [], "external", current).Config;
        Assert.True(Planner.Plan(current, newApp).NeedsReload);
        var balance = DesiredState.Build([App("/web", new() { ["HAPROXY_0_BALANCE"] = "leastconn" })], [], "external", current).Config;
        Assert.True(Planner.Plan(current, balance).NeedsReload);
        Assert.Empty(Planner.Plan(current, balance).Ops);
    }
}

public class StickyPlannerTests
{
    [Fact]
    public void ANewServerOfAStickyBackendNeedsAReloadBecauseRuntimeServersTakeNoCookie()
    {
        var app = App("/web", new() { ["HAPROXY_0_VHOST"] = "a.com", ["HAPROXY_0_STICKY"] = "true" });
        var current = DesiredState.Build([app], [Task("/web", "web.a", 31001)], "external", LbConfig.Empty).Config;
        var added = DesiredState.Build([app], [Task("/web", "web.a", 31001), Task("/web", "web.b", 31002)], "external", current).Config;
        Assert.True(Planner.Plan(current, added).NeedsReload);
        var removed = DesiredState.Build([app], [], "external", current).Config;
        Assert.Equal([new DelServer("web_0", "web.a")], Planner.Plan(current, removed).Ops);
    }
}

public class RuntimeRowsTests
{
    [Fact]
    public void ParsesShowServersStateAndShowStat()
    {
        var state = RuntimeRows_Sample.ServersState;
        var row = Assert.Single(Drover.Lb.Haproxy.RuntimeRows.ParseServersState(state));
        Assert.Equal(("web_0", "s1", "127.0.0.1", 9, ServerState.Drain), (row.Backend, row.Name, row.Address, row.Port, row.Admin));
        var stat = Drover.Lb.Haproxy.RuntimeRows.ParseStat("# pxname,svname,qcur,qmax,scur,smax,slim,stot,status,weight\nweb_0,s1,0,0,2,3,,17,DRAIN,0\nweb_0,BACKEND,0,0,2,3,,17,UP,0\n");
        Assert.Equal(("s1", "DRAIN", 2L, 17L), (stat[0].Name, stat[0].Status, stat[0].CurrentSessions, stat[0].TotalSessions));
        Assert.Throws<FormatException>(() => Drover.Lb.Haproxy.RuntimeRows.ParseStat("Unknown command"));
    }
}

internal static class RuntimeRows_Sample
{
    // Captured from HAProxy 2.6.12 after "set server web_0/s1 state drain".
    public const string ServersState = "1\n# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight srv_time_since_last_change srv_check_status srv_check_result srv_check_health srv_check_state srv_agent_state bk_f_forced_id srv_f_forced_id srv_fqdn srv_port srvrecord srv_use_ssl srv_check_port srv_check_addr srv_agent_addr srv_agent_port\n3 web_0 1 s1 127.0.0.1 2 8 1 1 3 1 0 0 0 0 0 0 - 9 - 0 0 - - 0\n\n";
}
