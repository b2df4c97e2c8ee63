using Drover.Core.Apps;
using Drover.Core.Cluster;
using Drover.Core.Discovery;
using Drover.Server.Discovery;
using Drover.State;
using Drover.Server.Storage;

namespace Drover.Server.Tests;

/// <summary>CatalogBuilder is a pure function of a snapshot: names, tags, health, addresses, failover policies.</summary>
public class ConsulCatalogBuilderTests
{
    private static readonly LocalNode Local = new("drover-server", "10.0.0.1", "server-id", "10.0.0.1:8080");

    private static AgentInfo Agent(string id, string host, string? endpoint = "http://192.168.1.7:5051", AgentStatus status = AgentStatus.Active) => new()
    {
        Id = id, Hostname = host, Endpoint = endpoint, Resources = new AgentResources(), RegisteredAt = "x", LastSeenAt = "x", Status = status,
    };

    private static TaskRecord Task(string id, string appId, string agentId, TaskState state = TaskState.Running, params HealthCheckResult[] health) => new()
    {
        Id = id, AppId = appId, AgentId = agentId, Host = "h", State = state, Version = "v1", StagedAt = "x", Ports = [31001, 31002],
        HealthCheckResults = health,
    };

    private static AppDefinition App(string id, Dictionary<string, string>? labels = null, int checks = 0) => new()
    {
        Id = id,
        Cmd = "x",
        Version = "v1",
        Labels = labels ?? new Dictionary<string, string>(),
        HealthChecks = Enumerable.Range(0, checks).Select(_ => new HealthCheckDefinition { Protocol = "HTTP", Path = "/ok" }).ToList(),
        PortDefinitions = [new PortDefinition { Port = 0, Name = "http" }, new PortDefinition { Port = 0 }],
    };

    private static async Task<StateSnapshot> SnapshotAsync(params StateOp[] ops)
    {
        await using var store = new InMemoryStateStore();
        return await store.ApplyAsync(ops);
    }

    [Fact]
    public async Task App_tasks_become_instances_named_by_flipped_path_with_agent_address_ports_and_meta()
    {
        var s = await SnapshotAsync(
            StateOp.Put(Schema.Agents, "a1", Agent("a1", "node-1")),
            StateOp.Put(Schema.Agents, "a2", Agent("a2", "10.1.1.2", endpoint: null)),
            StateOp.Put(Schema.Apps, "/prod/web", App("/prod/web")),
            StateOp.Put(Schema.Apps, "/prod/api.v2", App("/prod/api.v2", new() { ["DROVER_SERVICE_NAME"] = "My_API" })),
            StateOp.Put(Schema.Tasks, "web.1", Task("web.1", "/prod/web", "a1")),
            StateOp.Put(Schema.Tasks, "web.2", Task("web.2", "/prod/web", "a2")),
            StateOp.Put(Schema.Tasks, "web.3", Task("web.3", "/prod/web", "a1", TaskState.Staging)),
            StateOp.Put(Schema.Tasks, "web.4", Task("web.4", "/prod/web", "a1", TaskState.Killing)),
            StateOp.Put(Schema.Tasks, "web.5", Task("web.5", "/prod/web", "unknown-agent")),
            StateOp.Put(Schema.Tasks, "api.1", Task("api.1", "/prod/api.v2", "a1")));
        var view = CatalogBuilder.Build(s, Local);

        Assert.Equal(s.Index, view.Catalog.Index);
        Assert.Equal(["my-api", "web-prod"], view.ByService.Keys.Order().ToArray());
        var web = view.Service("web-prod");
        Assert.Equal(["web.1", "web.2"], web.Select(e => e.Instance.Id).Order().ToArray()); // only running tasks on known agents
        var w1 = web.Single(e => e.Instance.Id == "web.1").Instance;
        Assert.Equal("node-1", w1.Node);
        Assert.Equal("192.168.1.7", w1.Address); // hostname is not an IP: the agent endpoint's host
        Assert.Equal(31001, w1.Port);
        Assert.Equal([31001, 31002], w1.Ports);
        Assert.Equal("/prod/web", w1.AppId);
        Assert.Equal("web.1", w1.Meta["drover_task_id"]);
        Assert.Equal("/prod/web", w1.Meta["drover_app_id"]);
        Assert.Equal("31001", w1.Meta["drover_port_http"]);
        Assert.Equal("10.1.1.2", web.Single(e => e.Instance.Id == "web.2").Instance.Address); // hostname is an IP
        Assert.Equal(HealthStatus.Passing, w1.Health); // no checks: passing
        Assert.Contains(view.Catalog.Nodes, n => n.Name == "drover-server" && n.Address == "10.0.0.1");
        Assert.Contains(view.Catalog.Nodes, n => n.Name == "node-1" && n.Address == "192.168.1.7");
        Assert.Equal("10.0.0.1:8080", view.Catalog.Leader);
        Assert.Equal("10.0.0.1", view.Catalog.LeaderAddress);
    }

    [Theory]
    [InlineData("/prod/web", "web-prod")]
    [InlineData("/web", "web")]
    [InlineData("/a/b/c", "c-b-a")]
    [InlineData("/prod/web.v2", "web-v2-prod")]
    public void Service_names_flip_path_segments_like_mesos_dns(string appId, string expected) =>
        Assert.Equal(expected, DiscoveryLabels.ServiceNameOf(appId, new Dictionary<string, string>()));

    [Fact]
    public async Task Tags_come_from_the_label_and_a_runtime_override_replaces_them()
    {
        var s = await SnapshotAsync(
            StateOp.Put(Schema.Agents, "a1", Agent("a1", "node-1")),
            StateOp.Put(Schema.Apps, "/redis", App("/redis", new() { ["DROVER_TAGS"] = "slave, cache,slave" })),
            StateOp.Put(Schema.Tasks, "r.1", Task("r.1", "/redis", "a1")),
            StateOp.Put(Schema.Tasks, "r.2", Task("r.2", "/redis", "a1")),
            StateOp.Put(Schema.TaskTags, "r.2", new TaskTags { Tags = ["master"] }));
        var view = CatalogBuilder.Build(s, Local);
        Assert.Equal(["slave", "cache"], view.Service("redis").Single(e => e.Instance.Id == "r.1").Instance.Tags);
        Assert.Equal(["master"], view.Service("redis").Single(e => e.Instance.Id == "r.2").Instance.Tags);
    }

    [Fact]
    public async Task Health_maps_agent_results_and_pending_checks_are_critical()
    {
        var passing = new HealthCheckResult { Alive = true, Status = "passing" };
        var warning = new HealthCheckResult { Alive = true, Status = "warning", LastFailureCause = "exit 1" };
        var dead = new HealthCheckResult { Alive = false, Status = "critical", LastFailureCause = "connection refused" };
        var s = await SnapshotAsync(
            StateOp.Put(Schema.Agents, "a1", Agent("a1", "node-1")),
            StateOp.Put(Schema.Agents, "a2", Agent("a2", "node-2", status: AgentStatus.Unreachable)),
            StateOp.Put(Schema.Apps, "/h", App("/h", checks: 2)),
            StateOp.Put(Schema.Tasks, "ok", Task("ok", "/h", "a1", TaskState.Running, passing, passing)),
            StateOp.Put(Schema.Tasks, "warn", Task("warn", "/h", "a1", TaskState.Running, passing, warning)),
            StateOp.Put(Schema.Tasks, "dead", Task("dead", "/h", "a1", TaskState.Running, dead, passing)),
            StateOp.Put(Schema.Tasks, "starting", Task("starting", "/h", "a1", TaskState.Running, passing)),
            StateOp.Put(Schema.Tasks, "cutoff", Task("cutoff", "/h", "a2", TaskState.Running, passing, passing)));
        var view = CatalogBuilder.Build(s, Local);
        HealthStatus Health(string id) => view.Service("h").Single(e => e.Instance.Id == id).Instance.Health;
        Assert.Equal(HealthStatus.Passing, Health("ok"));
        Assert.Equal(HealthStatus.Warning, Health("warn"));
        Assert.Equal(HealthStatus.Critical, Health("dead"));
        Assert.Equal(HealthStatus.Critical, Health("starting")); // second check has no result yet
        Assert.Equal(HealthStatus.Critical, Health("cutoff")); // its node's serfHealth is critical

        var dead2 = view.Service("h").Single(e => e.Instance.Id == "dead");
        Assert.Equal(["service:dead:1", "service:dead:2"], dead2.Checks.Select(c => c.CheckId).ToArray());
        Assert.Equal("connection refused", dead2.Checks[0].Output);
        Assert.Equal("http", dead2.Checks[0].Type);
        Assert.Equal(["serfHealth", "service:dead:1", "service:dead:2"], view.AllChecks(dead2).Select(c => c.CheckId).ToArray());
    }

    [Fact]
    public async Task External_services_live_on_the_server_node_with_their_checks()
    {
        var def = new CheckDefinition { Type = "ttl", Ttl = TimeSpan.FromSeconds(10) };
        var s = await SnapshotAsync(
            StateOp.Put(Schema.Services, "mysql1", new ExternalService { Id = "mysql1", Name = "mysql", Tags = ["master"], Port = 3306 }),
            StateOp.Put(Schema.Services, "mysql2", new ExternalService { Id = "mysql2", Name = "mysql", Tags = ["slave"], Port = 3306, Address = "10.9.9.9" }),
            StateOp.Put(Schema.Checks, "service:mysql1", new ExternalCheck { CheckId = "service:mysql1", Name = "c", ServiceId = "mysql1", Status = HealthStatus.Passing, Definition = def, Generation = "g" }),
            StateOp.Put(Schema.Checks, "service:mysql2", new ExternalCheck { CheckId = "service:mysql2", Name = "c", ServiceId = "mysql2", Status = HealthStatus.Warning, Definition = def, Generation = "g" }));
        var view = CatalogBuilder.Build(s, Local);
        var m1 = view.Service("mysql").Single(e => e.Instance.Id == "mysql1");
        Assert.Equal("drover-server", m1.Instance.Node);
        Assert.Equal("10.0.0.1", m1.Instance.Address); // no address: the node's
        Assert.Equal("", m1.ServiceAddress);
        Assert.Equal(HealthStatus.Passing, m1.Instance.Health);
        Assert.Null(m1.Instance.AppId);
        var m2 = view.Service("mysql").Single(e => e.Instance.Id == "mysql2");
        Assert.Equal("10.9.9.9", m2.Instance.Address);
        Assert.Equal(HealthStatus.Warning, m2.Instance.Health);
        Assert.Equal(s.Entry(Schema.Services.Name, "mysql2")!.ModifyIndex, m2.ModifyIndex);
    }

    [Fact]
    public async Task Failover_policies_come_from_app_labels_and_external_meta()
    {
        var s = await SnapshotAsync(
            StateOp.Put(Schema.Apps, "/db/redis", App("/db/redis", new() { ["DROVER_FAILOVER"] = "master, slave", ["DROVER_FAILBACK"] = "false" })),
            StateOp.Put(Schema.Apps, "/web", App("/web", new() { ["DROVER_FAILOVER"] = " , " })),
            StateOp.Put(Schema.Services, "mysql1", new ExternalService
            {
                Id = "mysql1", Name = "mysql", Meta = new Dictionary<string, string> { ["DROVER_FAILOVER"] = "master,slave", ["DROVER_FAILOVER_ALIAS"] = "mysql-vip" },
            }));
        var policies = CatalogBuilder.Build(s, Local).Catalog.Failover;
        Assert.Equal(2, policies.Count);
        var mysql = policies.Single(p => p.Service == "mysql");
        Assert.Equal(["master", "slave"], mysql.TagPriority);
        Assert.Equal("mysql-vip", mysql.Alias);
        Assert.True(mysql.FailBack);
        var redis = policies.Single(p => p.Service == "redis-db");
        Assert.Equal(["master", "slave"], redis.TagPriority);
        Assert.Null(redis.Alias);
        Assert.False(redis.FailBack);
    }

    [Fact]
    public async Task Signatures_change_only_when_a_service_inputs_change()
    {
        await using var store = new InMemoryStateStore();
        await store.ApplyAsync([
            StateOp.Put(Schema.Agents, "a1", Agent("a1", "node-1")),
            StateOp.Put(Schema.Apps, "/a", App("/a")),
            StateOp.Put(Schema.Apps, "/b", App("/b")),
            StateOp.Put(Schema.Tasks, "a.1", Task("a.1", "/a", "a1")),
            StateOp.Put(Schema.Tasks, "b.1", Task("b.1", "/b", "a1"))]);
        var before = CatalogBuilder.Build(store.Current, Local);
        await store.ApplyAsync([StateOp.Put(Schema.Kv, "k", new KvValue())]);
        Assert.Equal(before.Signature, CatalogBuilder.Build(store.Current, Local).Signature); // a KV write is not a catalog change
        await store.ApplyAsync([StateOp.Delete(Schema.Tasks, "b.1")]);
        var after = CatalogBuilder.Build(store.Current, Local);
        Assert.Equal(before.ServiceSignatures["a"], after.ServiceSignatures["a"]);
        Assert.False(after.ServiceSignatures.ContainsKey("b"));
        Assert.NotEqual(before.Signature, after.Signature);
    }

    [Fact]
    public async Task A_build_reusing_the_previous_view_equals_a_fresh_build()
    {
        await using var store = new InMemoryStateStore();
        await store.ApplyAsync([
            StateOp.Put(Schema.Agents, "a1", Agent("a1", "node-1")),
            StateOp.Put(Schema.Agents, "a2", Agent("a2", "node-2")),
            StateOp.Put(Schema.Apps, "/a", App("/a", new() { ["DROVER_TAGS"] = "x" }, checks: 1)),
            StateOp.Put(Schema.Tasks, "a.1", Task("a.1", "/a", "a1", TaskState.Running, new HealthCheckResult { Alive = true, Status = "passing" })),
            StateOp.Put(Schema.Tasks, "a.2", Task("a.2", "/a", "a2", TaskState.Running, new HealthCheckResult { Alive = true, Status = "passing" })),
            StateOp.Put(Schema.Tasks, "a.3", Task("a.3", "/a", "a1", TaskState.Running, new HealthCheckResult { Alive = true, Status = "passing" }))]);
        var previous = CatalogBuilder.Build(store.Current, Local);
        await store.ApplyAsync([
            StateOp.Put(Schema.Tasks, "a.1", Task("a.1", "/a", "a1", TaskState.Running, new HealthCheckResult { Alive = false, Status = "critical" })),
            StateOp.Put(Schema.Agents, "a2", Agent("a2", "node-2", status: AgentStatus.Unreachable)),
            StateOp.Put(Schema.TaskTags, "a.3", new TaskTags { Tags = ["master"] })]);
        static string Render(DiscoveryView v) => string.Join("\n", v.Entries.Select(e =>
            $"{e.Instance.Id} {e.Instance.Node} {e.Instance.Address} {e.Instance.Health} {string.Join(",", e.Instance.Tags)} {e.ModifyIndex} " +
            string.Join(",", v.AllChecks(e).Select(c => $"{c.CheckId}={c.Status}"))));
        var reused = CatalogBuilder.Build(store.Current, Local, previous);
        var fresh = CatalogBuilder.Build(store.Current, Local);
        Assert.Equal(Render(fresh), Render(reused));
        Assert.Equal(fresh.Signature, reused.Signature);
        Assert.Equal(HealthStatus.Critical, reused.Service("a").Single(e => e.Instance.Id == "a.2").Instance.Health);
        Assert.Equal(["master"], reused.Service("a").Single(e => e.Instance.Id == "a.3").Instance.Tags);
    }
}
