using System.Net;
using System.Net.Http.Headers;
using Drover.Api.Client;
using Drover.Api.LoadBalancing;

namespace Drover.Server.Tests;

/// <summary>GET /v1/drover/lb/state: the routing state as a Consul-style blocking query, and the client's watch loop.</summary>
public sealed class LbStateTests
{
    internal const string WebApp = """
        {"id":"/web","cmd":"x","instances":2,"cpus":0.1,"mem":16,
         "labels":{"HAPROXY_GROUP":"external","HAPROXY_0_VHOST":"web.example"},
         "portDefinitions":[{"port":0,"name":"http","labels":{"VIP_0":"/web:80"}}]}
        """;

    /// <summary>An agent and /web with two running tasks; returns the agent id and the task ids.</summary>
    internal static async Task<(string Agent, IReadOnlyList<string> Tasks)> RunWebAsync(TestServer t, string json = WebApp, int count = 2)
    {
        var agent = await t.RegisterAgentAsync("127.0.0.1");
        using (var created = await t.SendJsonAsync(HttpMethod.Post, "/v2/apps", json)) Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var a = await t.AssignmentsAsync(agent, x => x.Tasks.Count == count);
        var ids = a.Tasks.Select(x => x.Spec.TaskId).ToList();
        await t.ReportAsync(agent, ids.Select(id => (id, "/web", "TASK_RUNNING")).ToArray());
        await t.DeploymentsFinishedAsync();
        return (agent, ids);
    }

    [Fact(Timeout = 30000)]
    public async Task The_state_carries_apps_labels_ports_and_tasks_and_the_index_header()
    {
        await using var t = await TestServer.StartAsync();
        var (agent, ids) = await RunWebAsync(t);

        using var resp = await t.Http.GetAsync("/v1/drover/lb/state");
        Assert.Equal(HttpStatusCode.OK, resp.StatusCode);
        var header = long.Parse(Assert.Single(resp.Headers.GetValues("X-Drover-Index")));
        var state = System.Text.Json.JsonSerializer.Deserialize(await resp.Content.ReadAsStringAsync(), LbJsonContext.Default.LbState)!;
        Assert.Equal(header, state.Index);
        Assert.True(state.Index > 0);
        var app = Assert.Single(state.Apps);
        Assert.Equal(("/web", "host"), (app.Id, app.NetworkMode));
        Assert.Equal("web.example", app.Labels["HAPROXY_0_VHOST"]);
        var port = Assert.Single(app.Ports);
        Assert.Equal(("http", "tcp", "/web:80"), (port.Name, port.Protocol, port.Labels["VIP_0"]));
        Assert.True(port.ServicePort >= 10000); // port 0 got a service port assigned
        Assert.Equal(ids.Order(), app.Tasks.Select(x => x.Id).Order());
        Assert.All(app.Tasks, x =>
        {
            Assert.Equal((agent, "127.0.0.1", "127.0.0.1", "TASK_RUNNING"), (x.AgentId, x.Host, x.Address, x.State));
            Assert.Equal((true, true, false, false, false), (x.Healthy, x.Ready, x.HealthKnown, x.Draining, x.KillRequested));
            Assert.InRange(Assert.Single(x.Ports), 31000, 31100);
        });
    }

    [Fact(Timeout = 30000)]
    public async Task A_blocked_watch_ignores_unrelated_writes_and_returns_on_a_routing_change()
    {
        await using var t = await TestServer.StartAsync();
        await RunWebAsync(t);
        var first = await t.Client.WatchLbStateAsync(0, TimeSpan.FromSeconds(1));

        var watch = t.Client.WatchLbStateAsync(first.Index, TimeSpan.FromSeconds(25));
        // a write the lbs do not route by moves the store index, not the lb state's
        var storeBefore = t.Writer.Current.Index;
        Assert.True(await t.Client.KvPutAsync("unrelated/key", "v"u8.ToArray()));
        Assert.True(t.Writer.Current.Index > storeBefore);
        Assert.Equal(first.Index, (await t.Client.WatchLbStateAsync(0, TimeSpan.FromSeconds(1))).Index);
        Assert.False(watch.IsCompleted);

        await t.Client.ScaleAppAsync("/web", 3);
        var changed = await watch.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.True(changed.Index > first.Index);
        // the scale is a new app version first, then a third task: each is a change the watch returns for
        while (changed.Apps[0].Tasks.Count < 3)
        {
            var next = await t.Client.WatchLbStateAsync(changed.Index, TimeSpan.FromSeconds(20));
            Assert.True(next.Index > changed.Index);
            changed = next;
        }
        // an index already passed answers at once
        Assert.Equal(changed.Index, (await t.Client.WatchLbStateAsync(first.Index, TimeSpan.FromMinutes(5)).WaitAsync(TimeSpan.FromSeconds(10))).Index);
    }

    [Fact(Timeout = 30000)]
    public async Task A_wait_that_runs_out_answers_with_the_same_index()
    {
        await using var t = await TestServer.StartAsync();
        await RunWebAsync(t);
        var first = await t.Client.WatchLbStateAsync(0, TimeSpan.FromSeconds(1));
        var started = DateTime.UtcNow;
        var again = await t.Client.WatchLbStateAsync(first.Index, TimeSpan.FromMilliseconds(300));
        Assert.Equal(first.Index, again.Index);
        Assert.True(DateTime.UtcNow - started >= TimeSpan.FromMilliseconds(250), "the query blocked for its wait");
        Assert.Equal(first.Apps[0].Tasks.Count, again.Apps[0].Tasks.Count);
    }

    [Theory(Timeout = 30000)]
    [InlineData("index=abc", "Invalid index 'abc': use the X-Drover-Index of a previous answer (a non-negative integer)")]
    [InlineData("index=-3", "Invalid index '-3': use the X-Drover-Index of a previous answer (a non-negative integer)")]
    [InlineData("index=1&wait=soon", "Invalid wait 'soon': use a duration such as 30s or 5m")]
    [InlineData("index=1&wait=-5s", "Invalid wait '-5s': use a duration such as 30s or 5m")]
    public async Task Bad_index_or_wait_is_a_400_naming_the_parameter(string query, string message)
    {
        await using var t = await TestServer.StartAsync();
        using var resp = await t.Http.GetAsync("/v1/drover/lb/state?" + query);
        Assert.Equal(HttpStatusCode.BadRequest, resp.StatusCode);
        Assert.Equal(message, (await TestServer.JsonOf(resp)).GetProperty("message").GetString());
    }

    [Fact(Timeout = 30000)]
    public async Task The_api_token_rules_for_reads_and_writes_apply()
    {
        await using var t = await TestServer.StartAsync(new ServerOptions { ApiToken = "lb-s3cret", ApiTokenForReads = true });
        using var anonymous = await t.Http.GetAsync("/v1/drover/lb/state");
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        var refused = await Assert.ThrowsAsync<DroverApiException>(() => t.Client.HeartbeatLbAsync("lb1", new LbHeartbeat { AppliedIndex = 1 }));
        Assert.Equal(HttpStatusCode.Unauthorized, refused.Status);
        Assert.Empty((await new DroverClient(t.Server.Url, "lb-s3cret").GetLbInstancesAsync()).Instances);

        using var authed = new DroverClient(t.Server.Url, "lb-s3cret");
        Assert.True((await authed.WatchLbStateAsync(0, TimeSpan.FromSeconds(1))).Index > 0);
        Assert.Equal("lb1", (await authed.HeartbeatLbAsync("lb1", new LbHeartbeat { AppliedIndex = 1 })).Id);

        // with the token required for writes only, anyone may watch but only the token may register
        await using var writesOnly = await TestServer.StartAsync(new ServerOptions { ApiToken = "lb-s3cret" });
        Assert.True((await writesOnly.Client.WatchLbStateAsync(0, TimeSpan.FromSeconds(1))).Index > 0);
        using var put = new HttpRequestMessage(HttpMethod.Put, "/v1/drover/lb/instances/lb1") { Content = new StringContent("""{"appliedIndex":1}""") };
        put.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        Assert.Equal(HttpStatusCode.Unauthorized, (await writesOnly.Http.SendAsync(put)).StatusCode);
    }

    [Fact(Timeout = 30000)]
    public async Task The_follow_loop_retries_failures_with_backoff_and_yields_each_change()
    {
        await using var t = await TestServer.StartAsync();
        await RunWebAsync(t);
        using var flaky = new FlakyHandler(failures: 2);
        using var client = new DroverClient(t.Server.Url, handler: flaky);
        var errors = new List<Exception>();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(25));
        var seen = new List<LbState>();
        await foreach (var state in client.FollowLbStateAsync(TimeSpan.FromSeconds(20), onError: errors.Add, ct: cts.Token))
        {
            seen.Add(state);
            if (seen.Count == 1) await t.Client.ScaleAppAsync("/web", 1);
            if (state.Apps[0].Tasks.Any(x => x.KillRequested)) break;
        }
        Assert.Equal(2, errors.Count);
        Assert.All(errors, e => Assert.IsType<HttpRequestException>(e));
        Assert.Equal(2, seen[0].Apps[0].Tasks.Count); // never an empty state for lack of an answer
        Assert.True(seen.Zip(seen.Skip(1)).All(p => p.Second.Index > p.First.Index), "indexes only move forward");
    }

    /// <summary>Fails the first requests as a server that is down does, then passes the rest to a real socket handler.</summary>
    private sealed class FlakyHandler(int failures) : DelegatingHandler(new SocketsHttpHandler())
    {
        private int _left = failures;

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct) =>
            Interlocked.Decrement(ref _left) >= 0
                ? throw new HttpRequestException("connection refused (simulated)")
                : base.SendAsync(request, ct);
    }
}
