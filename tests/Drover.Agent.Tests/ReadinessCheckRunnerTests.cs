using System.Net;
using System.Net.Sockets;
using System.Text;
using Drover.Agent.Health;
using Drover.Agent.Tests.Infrastructure;
using Drover.Core.Apps;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Drover.Agent.Tests;

public sealed class ReadinessCheckRunnerTests : IAsyncLifetime
{
    private readonly ManualTimeProvider _clock = new();
    private readonly HealthProbeFactory _probes = new();
    private readonly List<ReadinessCheckRunner> _runners = [];
    private int _changes;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var r in _runners) await r.DisposeAsync();
        _probes.Dispose();
    }

    private ReadinessCheckRunner Start(ReadinessCheckDefinition def, int[] ports, string?[] names)
    {
        var runner = new ReadinessCheckRunner(def, _probes.Http, "task-1", "127.0.0.1", ports, names, _clock,
            _ => Interlocked.Increment(ref _changes));
        _runners.Add(runner);
        runner.Start();
        return runner;
    }

    /// <summary>A server whose answer the test sets: status, content type and body; counts the requests.</summary>
    private sealed class Answer
    {
        public volatile int Status = 200;
        public volatile string Body = "";
        public int Hits;
        public volatile string? Path;
    }

    private static Task<TestHttpServer> Serve(Answer answer) => TestHttpServer.StartAsync(app => app.MapGet("/{**rest}", async (HttpContext c) =>
    {
        Interlocked.Increment(ref answer.Hits);
        answer.Path = c.Request.Path + c.Request.QueryString;
        c.Response.StatusCode = answer.Status;
        c.Response.ContentType = "text/plain; charset=utf-8";
        await c.Response.WriteAsync(answer.Body);
    }));

    /// <summary>Moves the fake clock one interval and waits for the check that falls due.</summary>
    private async Task NextCheck(ReadinessCheckRunner runner, int seconds)
    {
        var before = runner.ChecksCompleted;
        _clock.Advance(TimeSpan.FromSeconds(seconds));
        await Eventually.True(() => runner.ChecksCompleted > before, $"check #{before + 1}");
    }

    [Fact(Timeout = 20_000)]
    public async Task Not_ready_on_503_then_ready_on_200_and_checking_stops()
    {
        var answer = new Answer { Status = 503, Body = "warming up" };
        await using var server = await Serve(answer);
        var def = new ReadinessCheckDefinition { PortName = "http-api", Path = "/ready", IntervalSeconds = 10, TimeoutSeconds = 5 };
        var runner = Start(def, [31000, server.Port], ["admin", "http-api"]);

        await Eventually.True(() => runner.ChecksCompleted == 1, "first check, at once");
        var first = runner.Result!;
        Assert.False(first.Ready);
        Assert.Equal("readinessCheck", first.Name);
        Assert.Equal("task-1", first.TaskId);
        Assert.Null(first.LastResponse); // preserveLastResponse is off
        Assert.Equal("/ready", answer.Path);
        Assert.Contains("answered 503", runner.Cause);

        await NextCheck(runner, 10);
        Assert.False(runner.Result!.Ready);
        Assert.Equal(1, _changes); // still not ready: nothing new to report

        answer.Status = 200;
        await NextCheck(runner, 10);
        Assert.True(runner.Result!.Ready);
        Assert.Null(runner.Cause);
        Assert.Equal(2, _changes);
        await Eventually.Within(runner.Stopped, "runner stops once ready");

        // Readiness only matters until ready: no more requests, however much time passes.
        var hits = Volatile.Read(ref answer.Hits);
        answer.Status = 503;
        for (var i = 0; i < 5; i++) _clock.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(3, hits);
        Assert.Equal(hits, Volatile.Read(ref answer.Hits));
        Assert.Equal(3, runner.ChecksStarted);
        Assert.True(runner.Result!.Ready);
        Assert.Equal(0, _clock.ActiveTimers);
    }

    [Fact(Timeout = 20_000)]
    public async Task Only_the_configured_status_codes_mean_ready()
    {
        var answer = new Answer { Status = 200 };
        await using var server = await Serve(answer);
        var def = new ReadinessCheckDefinition { PortName = "web", Path = "ready?deep=1", IntervalSeconds = 5, TimeoutSeconds = 2, HttpStatusCodesForReady = [204, 302] };
        var runner = Start(def, [server.Port], ["web"]);

        await Eventually.True(() => runner.ChecksCompleted == 1, "first check");
        Assert.False(runner.Result!.Ready); // 200 is not in the list
        Assert.Equal("/ready?deep=1", answer.Path);
        Assert.Contains("answered 200, not one of [204, 302]", runner.Cause);

        answer.Status = 302; // not followed: the status itself counts
        await NextCheck(runner, 5);
        Assert.True(runner.Result!.Ready);
        await Eventually.Within(runner.Stopped, "runner stops once ready");
    }

    [Fact(Timeout = 20_000)]
    public async Task Preserve_last_response_keeps_status_content_type_and_a_truncated_body()
    {
        var answer = new Answer { Status = 503, Body = "warming up" };
        await using var server = await Serve(answer);
        var def = new ReadinessCheckDefinition { PortName = "http-api", IntervalSeconds = 10, TimeoutSeconds = 5, PreserveLastResponse = true };
        var runner = Start(def, [server.Port], ["http-api"]);

        await Eventually.True(() => runner.ChecksCompleted == 1, "first check");
        var last = runner.Result!.LastResponse!;
        Assert.Equal(503, last.Status);
        Assert.Equal("text/plain; charset=utf-8", last.ContentType);
        Assert.Equal("warming up", last.Body);

        answer.Status = 500; // another status is a change worth reporting even while not ready
        await NextCheck(runner, 10);
        Assert.Equal(500, runner.Result!.LastResponse!.Status);
        Assert.Equal(2, _changes);

        // "a" and 3000 two-byte characters: the body is cut at 4 KiB without keeping half a character.
        answer.Body = "a" + new string('é', 3000);
        answer.Status = 200;
        await NextCheck(runner, 10);
        var ready = runner.Result!;
        Assert.True(ready.Ready);
        Assert.Equal(200, ready.LastResponse!.Status);
        Assert.Equal("a" + new string('é', ReadinessCheckRunner.MaxBodyBytes / 2 - 1), ready.LastResponse.Body);
        Assert.True(Encoding.UTF8.GetByteCount(ready.LastResponse.Body) <= ReadinessCheckRunner.MaxBodyBytes);
    }

    [Theory(Timeout = 20_000)]
    [InlineData(new[] { "http", null }, "no port named 'http-api': the task's ports are named 'http'")]
    [InlineData(new string?[] { null }, "no port named 'http-api': the task has no named ports")]
    public async Task Missing_port_name_is_not_ready_with_a_clear_cause_and_never_checks(string?[] names, string cause)
    {
        var def = new ReadinessCheckDefinition { IntervalSeconds = 10, TimeoutSeconds = 5 };
        var runner = Start(def, [.. names.Select((_, i) => 31000 + i)], names);

        await Eventually.Within(runner.Stopped, "runner gives up at once");
        Assert.True(runner.CannotRun);
        var result = runner.Result!;
        Assert.False(result.Ready);
        Assert.Null(result.LastResponse);
        Assert.Equal(cause, runner.Cause);
        Assert.Equal(0, runner.ChecksStarted);
        Assert.Equal(1, _changes);
        Assert.Equal(0, _clock.ActiveTimers);
    }

    [Fact(Timeout = 20_000)]
    public async Task Refused_connection_and_timeout_are_not_ready_and_checking_goes_on()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var slow = true;
        await using var server = await TestHttpServer.StartAsync(app => app.MapGet("/", async (HttpContext c) =>
        {
            if (Volatile.Read(ref slow)) await release.Task.WaitAsync(c.RequestAborted);
            return Results.Ok();
        }));
        var refusedPort = FreePort();
        var def = new ReadinessCheckDefinition { PortName = "p", IntervalSeconds = 10, TimeoutSeconds = 3 };

        var refused = Start(def, [refusedPort], ["p"]);
        await Eventually.True(() => refused.ChecksCompleted == 1, "refused check");
        Assert.False(refused.Result!.Ready);
        Assert.Contains($"GET http://127.0.0.1:{refusedPort}/ failed", refused.Cause);
        Assert.False(refused.Stopped.IsCompleted);

        var timedOut = Start(def, [server.Port], ["p"]);
        await Eventually.True(() => timedOut.ChecksStarted == 1, "slow check started");
        _clock.Advance(TimeSpan.FromSeconds(3));
        await Eventually.True(() => timedOut.ChecksCompleted == 1, "timed-out check");
        Assert.False(timedOut.Result!.Ready);
        Assert.Equal($"GET http://127.0.0.1:{server.Port}/ timed out after 3s", timedOut.Cause);

        Volatile.Write(ref slow, false);
        await NextCheck(timedOut, 7);
        Assert.True(timedOut.Result!.Ready);
        release.TrySetResult();
    }

    private static int FreePort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        var port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }
}
