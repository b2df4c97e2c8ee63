using Drover.Api.LoadBalancing;
using Drover.Lb.Model;
using Drover.Lb.Planning;

namespace Drover.Lb.Tests;

/// <summary>The desired state from the server's lb snapshot: only ready, non-draining tasks serve; draining ones drain.</summary>
public sealed class WireDesiredStateTests
{
    private static LbApp App(params LbTask[] tasks) => new()
    {
        Id = "/web",
        Version = Fixtures.V1,
        Labels = new Dictionary<string, string> { ["HAPROXY_0_VHOST"] = "web.example" },
        Ports = [new LbPort { ServicePort = 10000 }],
        HasHealthChecks = true,
        Tasks = tasks,
    };

    private static LbTask Task(string id, bool ready = true, bool draining = false, bool healthKnown = true, string host = "127.0.0.1", string? address = null) => new()
    {
        Id = id, AgentId = "a1", Host = host, Address = address, Ports = [31000], State = "TASK_RUNNING", Version = Fixtures.V1,
        Healthy = ready, Ready = ready, HealthKnown = healthKnown, Draining = draining,
    };

    private static IReadOnlyList<LbServer> Servers(LbApp app, LbConfig? last = null, Func<string, string?>? resolve = null) =>
        DesiredState.Build(new LbState { Index = 3, Apps = [app] }, "external", last ?? LbConfig.Empty, resolve ?? (_ => null)).Config.Backends.Single().Servers;

    [Fact]
    public void ReadyTasksServeDrainingOnesDrainUnreadyOnesAreOut()
    {
        var servers = Servers(App(Task("t1"), Task("t2", draining: true), Task("t3", ready: false)));
        Assert.Equal([("t1", ServerState.Ready), ("t2", ServerState.Drain)], servers.Select(s => (s.Name, s.State)));
    }

    [Fact]
    public void UnknownHealthKeepsTheLastGoodStateAndAddsNothingNew()
    {
        var last = DesiredState.Build(new LbState { Apps = [App(Task("t1"))] }, "external", LbConfig.Empty, _ => null).Config;
        var servers = Servers(App(Task("t1", ready: false, healthKnown: false), Task("t2", ready: false, healthKnown: false)), last);
        Assert.Equal(["t1"], servers.Select(s => s.Name));
        Assert.Equal(ServerState.Ready, servers[0].State);
    }

    [Fact]
    public void AHostNameIsResolvedAndAnUnresolvableNewTaskIsLeftOut()
    {
        var servers = Servers(App(Task("t1", host: "node-a"), Task("t2", host: "nowhere"), Task("t3", host: "x", address: "10.0.0.3")),
            resolve: h => h == "node-a" ? "10.0.0.1" : null);
        Assert.Equal([("t1", "10.0.0.1"), ("t3", "10.0.0.3")], servers.Select(s => (s.Name, s.Address)));
    }
}
