using Drover.Core.Cluster;
using Drover.Core.Routing;
using Drover.Lb.Model;
using Drover.Lb.Planning;
using static Drover.Lb.Tests.Fixtures;

namespace Drover.Lb.Tests;

public class DesiredStateTests
{
    [Fact]
    public void OnlyServingTasksAreServersAndKilledOnesDrain()
    {
        var app = App("/prod/web", healthChecks: true);
        var tasks = new[]
        {
            Task("/prod/web", "prod_web.a", 31001, alive: true),
            Task("/prod/web", "prod_web.b", 31002, alive: false),
            Task("/prod/web", "prod_web.c", 31003, state: TaskState.Staging),
            Task("/prod/web", "prod_web.d", 31004, alive: true, kill: true),
        };
        var r = DesiredState.Build([app], tasks, "external", LbConfig.Empty);
        var b = Assert.Single(r.Config.Backends);
        Assert.Equal("prod_web_0", b.Name);
        Assert.Equal([("prod_web.a", ServerState.Ready, 31001), ("prod_web.d", ServerState.Drain, 31004)],
            b.Servers.Select(s => (s.Name, s.State, s.Port)));
        Assert.Equal([new PortListener(10000, LbMode.Tcp, "prod_web_0")], r.Config.Listeners);
    }

    [Fact]
    public void UnknownHealthKeepsLastGoodNeverAnEmptyBackendForLackOfInformation()
    {
        var app = App("/web", healthChecks: true);
        var good = DesiredState.Build([app], [Task("/web", "web.a", 31001, alive: true), Task("/web", "web.b", 31002, alive: true)], "external", LbConfig.Empty).Config;
        Assert.Equal(2, good.Backends[0].Servers.Count);

        // After a server failover the health results start empty: nothing is known, so the last good servers stay.
        var unknown = new[] { Task("/web", "web.a", 31001), Task("/web", "web.b", 31002, state: TaskState.Unreachable, alive: true), Task("/web", "web.new", 31003) };
        var next = DesiredState.Build([app], unknown, "external", good).Config;
        Assert.Equal(["web.a", "web.b"], next.Backends[0].Servers.Select(s => s.Name));
        Assert.True(Planner.Plan(good, next).IsEmpty);

        // Known bad health does remove it.
        var bad = DesiredState.Build([app], [Task("/web", "web.a", 31001, alive: false), Task("/web", "web.b", 31002, alive: true)], "external", good).Config;
        Assert.Equal(["web.b"], bad.Backends[0].Servers.Select(s => s.Name));
    }

    [Fact]
    public void ReadinessGatesNewTasks()
    {
        var app = App("/web") with { ReadinessChecks = [new Drover.Core.Apps.ReadinessCheckDefinition()] };
        var notReady = Task("/web", "web.a", 31001);
        var ready = notReady with { Id = "web.b", ReadinessCheckResults = [new ReadinessCheckResult { Name = "readinessCheck", TaskId = "web.b", Ready = true }] };
        var r = DesiredState.Build([app], [notReady, ready], "external", LbConfig.Empty);
        Assert.Equal(["web.b"], r.Config.Backends[0].Servers.Select(s => s.Name));
    }

    [Fact]
    public void GroupsFilterAndBadLabelsAreSkippedWithTheirProblems()
    {
        var apps = new[]
        {
            App("/ext", servicePort: 10001),
            App("/int", new() { ["HAPROXY_GROUP"] = "internal" }, servicePort: 10002),
            App("/bad", new() { ["HAPROXY_0_MODE"] = "udp" }, servicePort: 10003),
        };
        var r = DesiredState.Build(apps, [], "external", LbConfig.Empty);
        Assert.Equal(["ext_0"], r.Config.Backends.Select(b => b.Name));
        var skipped = Assert.Single(r.Skipped);
        Assert.Equal("/bad", skipped.AppId);
        Assert.Equal("HAPROXY_0_MODE: must be http or tcp, got 'udp'", Assert.Single(skipped.Problems).ToString());
        Assert.Equal(["ext_0", "int_0"], DesiredState.Build(apps.Take(2), [], "*", LbConfig.Empty).Config.Backends.Select(b => b.Name));
    }

    [Fact]
    public void HttpRoutesAreOrderedLongestPathFirst()
    {
        var apps = new[]
        {
            App("/api", new() { ["HAPROXY_0_PATH"] = "/api" }, servicePort: 0),
            App("/api2", new() { ["HAPROXY_0_PATH"] = "/api/v2", ["HAPROXY_0_PATH_STRIP"] = "true" }, servicePort: 0),
            App("/site", new() { ["HAPROXY_0_VHOST"] = "example.com" }, servicePort: 10005),
        };
        var c = DesiredState.Build(apps, [], "external", LbConfig.Empty).Config;
        Assert.Equal(["api2_0", "api_0", "site_0"], c.HttpRoutes.Select(r => r.Backend));
        Assert.Equal("/api/v2", c.Backend("api2_0")!.StripPrefix);
        Assert.Null(c.Backend("api_0")!.StripPrefix);
        Assert.Equal([new PortListener(10005, LbMode.Http, "site_0")], c.Listeners);
    }
}
