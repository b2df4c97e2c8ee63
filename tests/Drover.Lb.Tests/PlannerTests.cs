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
                new DelServer("web_0", "web.b"),
                new SetServerState("web_0", "web.a", ServerState.Drain),
                new AddServer("web_0", new LbServer("web.c", "web.c", "127.0.0.1", 31003, ServerState.Ready)),
            ],
            plan.Ops);
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
