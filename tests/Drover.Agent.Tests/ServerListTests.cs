using System.Net;
using Drover.Agent.Tests.Infrastructure;
using Drover.Api.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Drover.Agent.Tests;

/// <summary>Several servers: skip the ones that are not there, follow the one that says who leads.</summary>
public sealed class ServerListTests : IAsyncLifetime
{
    private TestHttpServer _leader = null!;
    private int _leaderRequests;
    private readonly List<TestHttpServer> _others = [];

    public async Task InitializeAsync() => _leader = await TestHttpServer.StartAsync(app =>
    {
        app.Map("/{**rest}", (HttpContext c) =>
        {
            Interlocked.Increment(ref _leaderRequests);
            return Results.Text($"leader saw {c.Request.Method} {c.Request.Path}{c.Request.QueryString} auth={c.Request.Headers.Authorization}");
        });
    });

    public async Task DisposeAsync()
    {
        await _leader.DisposeAsync();
        foreach (var o in _others) await o.DisposeAsync();
    }

    private async Task<Uri> FollowerAsync(Func<HttpContext, IResult> answer)
    {
        var s = await TestHttpServer.StartAsync(app => app.Map("/{**rest}", answer));
        _others.Add(s);
        return s.BaseUri;
    }

    private static Uri Dead() => new($"http://127.0.0.1:{FreePort()}/");

    private static int FreePort()
    {
        using var l = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    private static (HttpClient Http, ServerList List, List<ServerSwitch> Switches) Client(params Uri[] servers)
    {
        var list = new ServerList(servers, new SocketsHttpHandler { AllowAutoRedirect = false });
        var switches = new List<ServerSwitch>();
        list.Switched += s => { lock (switches) switches.Add(s); };
        var http = new HttpClient(list) { BaseAddress = servers[0], Timeout = TimeSpan.FromSeconds(20) };
        http.DefaultRequestHeaders.Authorization = new("Bearer", "t0ken");
        return (http, list, switches);
    }

    [Fact(Timeout = 30_000)]
    public async Task An_unreachable_server_is_skipped_for_the_next_in_the_same_request()
    {
        var dead = Dead();
        var (http, list, switches) = Client(dead, _leader.BaseUri);
        using var _ = http;
        Assert.StartsWith("leader saw GET /internal/agents/x/assignments?wait=1ms auth=Bearer t0ken", await http.GetStringAsync("/internal/agents/x/assignments?wait=1ms"));
        Assert.Equal(_leader.BaseUri, list.Current);
        Assert.Equal(dead, Assert.Single(switches).From);
        Assert.Contains("is unreachable", switches[0].Reason);
        // it stays there
        await http.GetStringAsync("/ping");
        Assert.Single(switches);
    }

    [Fact(Timeout = 30_000)]
    public async Task When_every_server_is_unreachable_the_request_fails_after_one_round()
    {
        var (http, list, switches) = Client(Dead(), Dead());
        using var _ = http;
        var e = await Assert.ThrowsAsync<HttpRequestException>(() => http.GetStringAsync("/ping"));
        Assert.Equal(HttpRequestError.ConnectionError, e.HttpRequestError);
        Assert.Equal(2, switches.Count); // one round: a, then b, then back to a for the next try
        Assert.Equal(list.Seeds[0], list.Current);
    }

    [Theory(Timeout = 30_000)]
    [InlineData("header")]
    [InlineData("body-host-port")]
    [InlineData("redirect-307")]
    [InlineData("redirect-308")]
    public async Task A_server_that_is_not_the_leader_is_left_for_the_leader_it_names(string how)
    {
        var leader = _leader.BaseUri;
        var follower = await FollowerAsync(c => how switch
        {
            "header" => WithLeaderHeader(c, leader.ToString()),
            "body-host-port" => Results.Json(new Dictionary<string, string> { ["message"] = "not the leader", ["leader"] = $"127.0.0.1:{leader.Port}" }, statusCode: 503),
            "redirect-307" => Results.Redirect(new Uri(leader, c.Request.Path + c.Request.QueryString).ToString(), permanent: false, preserveMethod: true),
            _ => Results.Redirect(new Uri(leader, c.Request.Path + c.Request.QueryString).ToString(), permanent: true, preserveMethod: true),
        });
        var (http, list, switches) = Client(follower);
        using var _ = http;
        using var resp = await http.PostAsync("/internal/agents/register", new StringContent("{\"hostname\":\"h\"}"));
        Assert.Equal(HttpStatusCode.OK, resp.StatusCode);
        // the body went to the leader again, with the Authorization header a plain redirect would drop
        Assert.Equal("leader saw POST /internal/agents/register auth=Bearer t0ken", await resp.Content.ReadAsStringAsync());
        Assert.Equal(leader, list.Current);
        Assert.Contains("is not the leader; following the leader", Assert.Single(switches).Reason);
    }

    [Fact(Timeout = 30_000)]
    public async Task A_503_that_names_no_leader_is_the_callers_to_handle()
    {
        var follower = await FollowerAsync(_ => Results.Json(new Dictionary<string, string> { ["message"] = "no leader yet", ["leader"] = "" }, statusCode: 503));
        var (http, list, switches) = Client(follower);
        using var _ = http;
        using var resp = await http.GetAsync("/ping");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, resp.StatusCode);
        Assert.Contains("no leader yet", await resp.Content.ReadAsStringAsync());
        Assert.Empty(switches);
        Assert.Equal(follower, list.Current);
    }

    [Fact(Timeout = 30_000)]
    public async Task A_leader_that_goes_away_sends_requests_back_to_the_list()
    {
        var goneLeader = Dead();
        var follower = await FollowerAsync(c => WithLeaderHeader(c, goneLeader.ToString()));
        var (http, list, switches) = Client(follower, _leader.BaseUri);
        using var _ = http;
        // follower → names a leader that is not there → back to the list, where the follower sends us there again:
        // the request fails after one round rather than loop, and the caller's backoff takes over
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => http.GetStringAsync("/ping"));
        list.MarkFailed(list.Current, "test: the follower keeps failing us");
        Assert.StartsWith("leader saw GET /ping", await http.GetStringAsync("/ping"));
        Assert.Equal(_leader.BaseUri, list.Current);
        Assert.Contains(switches, s => s.To == goneLeader);
    }

    [Fact(Timeout = 60_000)]
    public async Task A_real_agent_joins_through_a_dead_address_and_a_follower_and_follows_the_leader_for_everything()
    {
        await using var server = await FakeServer.StartAsync();
        var follower = await FollowerAsync(c => WithLeaderHeader(c, server.BaseUri.ToString()));
        using var dir = new TestDir();
        var logs = new LogCapture();
        await using var agent = new DroverAgent(new AgentOptions
        {
            ServerUrl = $"{Dead()},{follower}",
            DataDir = dir.Combine("agent"),
            Hostname = "multi",
            Cpus = 1,
            MemMb = 128,
            HeartbeatInterval = TimeSpan.FromMilliseconds(100),
            EnableCgroups = false,
        }, logs.Factory());
        await agent.StartAsync();
        await Eventually.Within(agent.Registered, "registration through the list");
        Assert.Equal(server.BaseUri, agent.CurrentServer);
        await Eventually.True(() => server.Heartbeats >= 2, "heartbeats go to the leader");
        var task = Specs.Cmd("true");
        server.Assign(new Drover.Api.Agents.TaskAssignment { Spec = task });
        await Eventually.True(() => server.Reports.Any(r => r.TaskId == task.TaskId), "status reports and assignments go to the leader");
        Assert.Contains(logs.Events(1101), l => l.Text.Contains("is unreachable"));
        Assert.Contains(logs.Events(1101), l => l.Text.Contains("is not the leader; following the leader"));
    }

    private static IResult WithLeaderHeader(HttpContext c, string leader)
    {
        c.Response.Headers[ServerList.LeaderHeader] = leader;
        return Results.Json(new Dictionary<string, string> { ["message"] = "not the leader" }, statusCode: 503);
    }
}

/// <summary>A 503 with Retry-After while the servers elect a leader: a client that waits for one sends it again.</summary>
public sealed class ServerListWaitForLeaderTests : IAsyncLifetime
{
    private TestHttpServer _server = null!;
    private int _requests;
    private int _refusals;
    private bool _retryAfter = true;

    public async Task InitializeAsync() => _server = await TestHttpServer.StartAsync(app =>
    {
        app.Map("/{**rest}", (HttpContext c) =>
        {
            Interlocked.Increment(ref _requests);
            if (Interlocked.Decrement(ref _refusals) >= 0)
            {
                if (_retryAfter) c.Response.Headers.RetryAfter = "1";
                return Results.Json(new { message = "no leader: the leader's lease expired and no server has been elected yet" }, statusCode: 503);
            }
            return Results.Text("applied");
        });
    });

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private HttpClient Client(TimeSpan wait, TimeProvider time) =>
        new(new ServerList([_server.BaseUri], new SocketsHttpHandler()) { WaitForLeader = wait, Time = time }) { BaseAddress = _server.BaseUri };

    [Fact(Timeout = 30_000)]
    public async Task Retries_after_the_delay_asked_until_a_leader_answers()
    {
        _refusals = 2;
        var time = new ManualTimeProvider();
        using var http = Client(TimeSpan.FromSeconds(30), time);
        var put = http.PutAsync("/v2/apps/x", new StringContent("{\"instances\":1}"));
        for (var i = 0; i < 2; i++)
        {
            await Eventually.True(() => time.ActiveTimers == 1, "waiting out Retry-After");
            time.Advance(TimeSpan.FromSeconds(1));
        }
        using var response = await put;
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("applied", await response.Content.ReadAsStringAsync());
        Assert.Equal(3, _requests); // the body went out again each time
    }

    [Fact(Timeout = 30_000)]
    public async Task Gives_the_503_back_once_the_wait_is_over()
    {
        _refusals = 100;
        var time = new ManualTimeProvider();
        using var http = Client(TimeSpan.FromSeconds(1.5), time);
        var put = http.PutAsync("/v2/apps/x", new StringContent("{}"));
        await Eventually.True(() => time.ActiveTimers == 1, "waiting out Retry-After");
        time.Advance(TimeSpan.FromSeconds(1));
        using var response = await put;
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal(2, _requests);
    }

    [Fact(Timeout = 30_000)]
    public async Task A_503_without_retry_after_or_a_client_that_does_not_wait_answers_at_once()
    {
        _refusals = 100;
        using (var http = Client(TimeSpan.Zero, new ManualTimeProvider()))
            Assert.Equal(HttpStatusCode.ServiceUnavailable, (await http.GetAsync("/v2/leader")).StatusCode);
        _retryAfter = false; // a lost store quorum: no Retry-After
        using (var http = Client(TimeSpan.FromSeconds(30), new ManualTimeProvider()))
            Assert.Equal(HttpStatusCode.ServiceUnavailable, (await http.GetAsync("/v2/leader")).StatusCode);
        Assert.Equal(2, _requests);
    }
}
