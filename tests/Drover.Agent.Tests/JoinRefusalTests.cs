using Drover.Agent.Tests.Infrastructure;
using Drover.Api;
using Drover.Api.Agents;
using Drover.Api.Marathon;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Drover.Agent.Tests;

/// <summary>An agent the server refuses (wrong join token) backs off exponentially up to a minute, logging each delay.</summary>
public sealed class JoinRefusalTests : IAsyncLifetime
{
    private const string Rejection = "join token rejected by http://server: it does not match this cluster's token";
    private readonly TestDir _dir = new();
    private TestHttpServer _server = null!;
    private int _attempts;
    private volatile bool _accept;
    private string? _lastAuthorization;

    public async Task InitializeAsync() => _server = await TestHttpServer.StartAsync(app =>
    {
        app.MapPost("/internal/agents/register", (HttpContext c) =>
        {
            Interlocked.Increment(ref _attempts);
            _lastAuthorization = c.Request.Headers.Authorization;
            return _accept
                ? Results.Json(new AgentRegistered { AgentId = "a1" }, ApiJsonContext.Default.AgentRegistered)
                : Results.Json(new MessageResponse { Message = Rejection }, ApiJsonContext.Default.MessageResponse, statusCode: 401);
        });
        app.MapGet("/internal/agents/{id}/assignments", () => Results.Json(new AgentAssignments { Fingerprint = "0" }, ApiJsonContext.Default.AgentAssignments));
        app.MapPost("/internal/agents/{id}/heartbeat", () => Results.Json(new HeartbeatAck(), ApiJsonContext.Default.HeartbeatAck));
    });

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _dir.Dispose();
    }

    [Fact(Timeout = 60_000)]
    public async Task A_refused_agent_backs_off_exponentially_capped_at_a_minute_and_logs_every_delay()
    {
        var time = new ManualTimeProvider();
        var logs = new LogCapture();
        await using var agent = new DroverAgent(new AgentOptions
        {
            ServerUrl = _server.BaseUri.ToString(),
            Token = "wrong-secret",
            DataDir = _dir.Combine("agent"),
            Hostname = "refused",
            Cpus = 1,
            MemMb = 128,
            EnableCgroups = false,
        }, logs.Factory(), time);
        await agent.StartAsync();

        var delays = new List<TimeSpan>();
        for (var i = 1; i <= 9; i++)
        {
            await Eventually.True(() => logs.Events(1100).Count >= i, $"refusal {i} logged");
            var line = logs.Events(1100)[i - 1];
            Assert.Contains(Rejection, line.Text);
            Assert.Contains($"Refused by {_server.BaseUri}", line.Text);
            var delay = (TimeSpan)line.Fields["Delay"]!;
            delays.Add(delay);
            Assert.Equal(i, Volatile.Read(ref _attempts)); // nothing tries again before the delay is over
            if (i < 9) await AdvanceUntilAsync(time, delay, () => Volatile.Read(ref _attempts) > i);
        }
        // 1s, 2s, 4s … doubling (±20% jitter), never above the 60s cap, which it reaches
        for (var i = 0; i < delays.Count; i++)
        {
            var nominal = Math.Min(Math.Pow(2, i), 60);
            Assert.InRange(delays[i].TotalSeconds, Math.Min(nominal * 0.8, 60), Math.Min(nominal * 1.2, 60));
        }
        Assert.InRange(delays[^1].TotalSeconds, 48, 60); // at the cap: jitter only ever shortens it
        Assert.Equal("Bearer wrong-secret", _lastAuthorization);
        Assert.Empty(logs.Events(1003)); // not the quick retries of a server that is merely down

        _accept = true;
        await AdvanceUntilAsync(time, delays[^1], () => agent.Registered.IsCompleted);
        Assert.Equal("a1", await agent.Registered);
    }

    /// <summary>
    /// Moves the clock by <paramref name="step"/> until <paramref name="done"/>: the agent logs a delay just before it
    /// starts waiting, so a first step may come before its timer exists; the next one then reaches it.
    /// </summary>
    private static async Task AdvanceUntilAsync(ManualTimeProvider time, TimeSpan step, Func<bool> done)
    {
        for (var round = 0; round < 4; round++)
        {
            time.Advance(step);
            var until = DateTime.UtcNow + TimeSpan.FromSeconds(2);
            while (!done() && DateTime.UtcNow < until) await Task.Delay(10);
            if (done()) return;
        }
        Assert.Fail($"nothing happened within {4 * step} of fake time");
    }

    [Fact(Timeout = 30_000)]
    public async Task A_drover1_token_sends_only_its_secret_and_advertise_names_the_tasks_address()
    {
        _accept = true;
        var pin = new string('d', 64);
        // http is refused for a pinning token (validated below); the secret-only rule is checked on a bare token here
        Assert.Contains(new AgentOptions { ServerUrl = _server.BaseUri.ToString(), DataDir = "/x", Token = $"drover1-{pin}-s" }.Validate(),
            e => e.Contains("join the server's https:// address", StringComparison.Ordinal));
        await using var server = await FakeServer.StartAsync();
        await using var agent = new DroverAgent(new AgentOptions
        {
            ServerUrl = server.BaseUri.ToString(),
            Token = "bare-secret",
            AdvertiseHost = "localhost",
            DataDir = _dir.Combine("agent2"),
            Hostname = "advertised",
            Cpus = 1,
            MemMb = 128,
            EnableCgroups = false,
        });
        await agent.StartAsync();
        await Eventually.Within(agent.Registered, "registration");
        var reg = Assert.Single(server.Registrations);
        Assert.Equal("127.0.0.1", reg.Address); // a name is resolved: DNS A records need an address
        Assert.StartsWith("http://localhost:", reg.Endpoint);
    }

    [Fact]
    public void Server_lists_are_split_and_each_entry_is_checked()
    {
        var options = new AgentOptions { ServerUrl = " http://a:8080, https://b:8443 ,http://c:8080", DataDir = "/x" };
        Assert.Empty(options.Validate());
        Assert.Equal(["http://a:8080/", "https://b:8443/", "http://c:8080/"], options.ServerUris.Select(u => u.ToString()));
        var bad = new AgentOptions { ServerUrl = "http://a:8080,ftp://b", DataDir = "/x", Token = "drover1-zz-s" };
        var errors = bad.Validate();
        Assert.Contains("serverUrl: 'ftp://b' is not an absolute http:// or https:// URL", errors);
        Assert.Contains(errors, e => e.StartsWith("token: 'drover1-zz-s' is not a valid join token", StringComparison.Ordinal));
        Assert.Contains("serverUrl: required (the Drover server to join, e.g. http://10.0.0.1:8080)", new AgentOptions { ServerUrl = " , ", DataDir = "/x" }.Validate());
    }
}
