using System.Net;
using System.Net.Sockets;
using Drover.Agent.Health;
using Drover.Core.Discovery;
using Drover.Health;
using Drover.Agent.Tests.Infrastructure;
using Drover.Core.Apps;
using Drover.Core.Cluster;
using Drover.Core.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Drover.Agent.Tests;

public sealed class HealthCheckRunnerTests : IAsyncLifetime
{
    private readonly ManualTimeProvider _clock = new();
    private readonly HealthProbeFactory _probes = new();
    private readonly TestDir _dir = new();
    private readonly List<HealthCheckRunner> _runners = [];
    private readonly List<string> _unhealthy = [];
    private int _changes;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var r in _runners) await r.DisposeAsync();
        _probes.Dispose();
        _dir.Dispose();
    }

    private HealthCheckRunner Start(HealthCheckDefinition def, IHealthProbe probe, DateTimeOffset? taskStarted = null)
    {
        var runner = new HealthCheckRunner(def, probe, "task-1", taskStarted ?? _clock.GetUtcNow(), _clock,
            _ => Interlocked.Increment(ref _changes), cause => { lock (_unhealthy) _unhealthy.Add(cause); });
        _runners.Add(runner);
        runner.Start();
        return runner;
    }

    private HealthTarget Target(params int[] ports) => new()
    {
        TaskId = "task-1",
        Ports = ports,
        Sandbox = _dir.Path,
        Env = new Dictionary<string, string> { ["CHECK_MARKER"] = "from-task-env" },
    };

    /// <summary>Moves the fake clock one interval and waits for the check that falls due.</summary>
    private async Task NextCheck(HealthCheckRunner runner, int seconds)
    {
        var before = runner.ChecksCompleted;
        _clock.Advance(TimeSpan.FromSeconds(seconds));
        await Eventually.True(() => runner.ChecksCompleted > before, $"check #{before + 1}");
    }

    [Fact(Timeout = 20_000)]
    public async Task Http_check_passes_on_2xx_3xx_and_fails_on_500()
    {
        var status = 200;
        string? path = null;
        await using var server = await TestHttpServer.StartAsync(app => app.MapGet("/{**rest}", (HttpContext c) =>
        {
            path = c.Request.Path + c.Request.QueryString;
            return Results.StatusCode(Volatile.Read(ref status));
        }));
        var def = new HealthCheckDefinition { Protocol = "HTTP", Path = "/health?deep=1", PortIndex = 1, IntervalSeconds = 10, GracePeriodSeconds = 0, MaxConsecutiveFailures = 0 };
        var runner = Start(def, _probes.Create(def, Target(1, server.Port)));

        await Eventually.True(() => runner.ChecksCompleted == 1, "first check");
        var ok = runner.Result!;
        Assert.True(ok.Alive);
        Assert.Equal("passing", ok.Status);
        Assert.Equal("/health?deep=1", path);
        Assert.Equal(MarathonTime.ToWire(_clock.GetUtcNow()), ok.FirstSuccess);
        Assert.Equal("task-1", ok.TaskId);

        Volatile.Write(ref status, 302);
        await NextCheck(runner, 10);
        Assert.True(runner.Result!.Alive, "3xx counts as passing");

        Volatile.Write(ref status, 500);
        await NextCheck(runner, 10);
        var failed = runner.Result!;
        Assert.False(failed.Alive);
        Assert.Equal("critical", failed.Status);
        Assert.Equal(1, failed.ConsecutiveFailures);
        Assert.Contains("HTTP 500", failed.LastFailureCause);
        Assert.Equal(MarathonTime.ToWire(_clock.GetUtcNow()), failed.LastFailure);
        Assert.Equal(ok.FirstSuccess, failed.FirstSuccess);
        Assert.Equal(2, _changes); // first result, then passing → critical (302 changed nothing)
    }

    [Fact(Timeout = 20_000)]
    public async Task Http_404_is_critical_with_the_standard_reason_and_url_and_failures_count_up()
    {
        await using var server = await TestHttpServer.StartAsync(app => app.MapGet("/{**rest}", (HttpContext c) =>
        {
            c.Response.StatusCode = 404;
            // What Python's http.server sends; the cause uses the standard phrase whatever the app says.
            c.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpResponseFeature>()!.ReasonPhrase = "File not found";
            return Task.CompletedTask;
        }));
        var def = new HealthCheckDefinition { Protocol = "HTTP", Path = "/nope", IntervalSeconds = 10, GracePeriodSeconds = 0, MaxConsecutiveFailures = 3 };
        var runner = Start(def, _probes.Create(def, Target(server.Port)));

        await Eventually.True(() => runner.ChecksCompleted == 1, "first check");
        Assert.Equal($"HTTP 404 Not Found from http://127.0.0.1:{server.Port}/nope", runner.Result!.LastFailureCause);
        Assert.Equal(1, runner.Result.ConsecutiveFailures);
        await NextCheck(runner, 10);
        Assert.Equal(2, runner.Result!.ConsecutiveFailures);
        Assert.Empty(_unhealthy);
        await NextCheck(runner, 10);
        Assert.Equal(3, runner.Result!.ConsecutiveFailures);
        Assert.Equal([$"HTTP 404 Not Found from http://127.0.0.1:{server.Port}/nope"], _unhealthy);
    }

    [Fact(Timeout = 20_000)]
    public async Task Https_check_ignores_certificate_and_refused_connection_is_critical()
    {
        var port = FreePort();
        var def = new HealthCheckDefinition { Protocol = "MESOS_HTTPS", Port = port };
        var result = await _probes.Create(def, Target()).ProbeAsync(CancellationToken.None);
        Assert.Equal(HealthStatus.Critical, result.Status);
        Assert.Contains($"https://127.0.0.1:{port}/", result.Output);
    }

    [Fact(Timeout = 20_000)]
    public async Task Tcp_check_passes_while_the_port_accepts_and_fails_when_it_closes()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var def = new HealthCheckDefinition { Protocol = "TCP", IntervalSeconds = 5, GracePeriodSeconds = 0, MaxConsecutiveFailures = 0 };
        var runner = Start(def, _probes.Create(def, Target(port)));

        await Eventually.True(() => runner.ChecksCompleted == 1, "first check");
        Assert.Equal("passing", runner.Result!.Status);

        listener.Stop();
        await NextCheck(runner, 5);
        Assert.Equal("critical", runner.Result!.Status);
        Assert.Contains($"127.0.0.1:{port}", runner.Result.LastFailureCause);
    }

    [Theory(Timeout = 20_000)]
    [InlineData("exit 0", "passing", true)]
    [InlineData("echo degraded; exit 1", "warning", true)]
    [InlineData("echo broken >&2; exit 2", "critical", false)]
    [InlineData("test \"$CHECK_MARKER\" = from-task-env && test -f marker && test \"$MESOS_SANDBOX\" = \"$(pwd)\"", "passing", true)]
    public async Task Command_check_maps_exit_codes_to_consul_statuses(string command, string expected, bool alive)
    {
        await File.WriteAllTextAsync(_dir.Combine("marker"), "");
        var def = new HealthCheckDefinition { Protocol = "COMMAND", Command = new CommandSpec { Value = command }, GracePeriodSeconds = 0 };
        var runner = Start(def, _probes.Create(def, Target()));

        await Eventually.True(() => runner.ChecksCompleted == 1, "first check");

        Assert.Equal(expected, runner.Result!.Status);
        Assert.Equal(alive, runner.Result.Alive);
        if (expected == "warning") Assert.Contains("degraded", runner.Result.LastFailureCause);
        if (expected == "critical") Assert.Contains("exited with code 2: broken", runner.Result.LastFailureCause);
    }

    [Fact(Timeout = 20_000)]
    public async Task Command_check_that_outlives_its_timeout_is_critical_and_killed()
    {
        var pidFile = _dir.Combine("check.pid");
        var def = new HealthCheckDefinition { Protocol = "COMMAND", Command = new CommandSpec { Value = $"echo $$ > {pidFile}; exec sleep 30" }, TimeoutSeconds = 3, GracePeriodSeconds = 0 };
        var runner = Start(def, _probes.Create(def, Target()));
        await Eventually.True(() => runner.ChecksStarted == 1 && File.Exists(pidFile) && File.ReadAllText(pidFile).EndsWith('\n'), "check started");

        _clock.Advance(TimeSpan.FromSeconds(3));
        await Eventually.True(() => runner.ChecksCompleted == 1, "timed-out check");

        Assert.Equal("critical", runner.Result!.Status);
        Assert.Equal("timed out after 3s", runner.Result.LastFailureCause);
        var pid = int.Parse(File.ReadAllText(pidFile).Trim());
        await Eventually.True(() => Drivers.Posix.ReadStat(pid) is not { HasExited: false }, "check process killed");
    }

    [Fact(Timeout = 20_000)]
    public async Task Failures_in_the_grace_period_before_the_first_success_do_not_count()
    {
        var probe = new ScriptedProbe();
        var def = new HealthCheckDefinition { GracePeriodSeconds = 30, IntervalSeconds = 10, MaxConsecutiveFailures = 2 };
        var runner = Start(def, probe);

        await Eventually.True(() => runner.ChecksCompleted == 1, "check at t=0");
        Assert.Null(runner.Result); // still starting: neither healthy nor unhealthy, as in Marathon
        await NextCheck(runner, 10);
        await NextCheck(runner, 10);
        Assert.Null(runner.Result);

        await NextCheck(runner, 10); // t=30: grace is over
        Assert.Equal(1, runner.Result!.ConsecutiveFailures);
        Assert.False(runner.Result.Alive);
        Assert.Equal("not ready", runner.Result.LastFailureCause);
        Assert.Empty(_unhealthy);

        await NextCheck(runner, 10);
        Assert.Equal(2, runner.Result!.ConsecutiveFailures);
        Assert.Equal(["not ready"], _unhealthy);
    }

    [Fact(Timeout = 20_000)]
    public async Task After_the_first_success_failures_count_at_once_and_a_success_resets_them()
    {
        var probe = new ScriptedProbe(ProbeResult.Passing, ProbeResult.Critical("boom"), ProbeResult.Critical("boom"), ProbeResult.Passing);
        var def = new HealthCheckDefinition { GracePeriodSeconds = 300, IntervalSeconds = 10, MaxConsecutiveFailures = 3 };
        var runner = Start(def, probe);

        await Eventually.True(() => runner.ChecksCompleted == 1, "first check");
        Assert.True(runner.Result!.Alive);
        await NextCheck(runner, 10);
        await NextCheck(runner, 10);
        Assert.Equal(2, runner.Result!.ConsecutiveFailures);
        Assert.False(runner.Result.Alive);
        await NextCheck(runner, 10);

        Assert.True(runner.Result!.Alive);
        Assert.Equal(0, runner.Result.ConsecutiveFailures);
        Assert.Equal("boom", runner.Result.LastFailureCause);
        Assert.Empty(_unhealthy);
        Assert.Equal(3, _changes); // alive, dead, alive again
    }

    [Fact(Timeout = 20_000)]
    public async Task Port_index_out_of_range_is_a_critical_result_not_a_crash()
    {
        var def = new HealthCheckDefinition { Protocol = "HTTP", PortIndex = 2 };
        var result = await _probes.Create(def, Target(31000)).ProbeAsync(CancellationToken.None);
        Assert.Equal(HealthStatus.Critical, result.Status);
        Assert.Contains("portIndex 2 is out of range", result.Output);
    }

    private static int FreePort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        var port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    /// <summary>Answers from a script, then repeats its last answer (default: always "not ready").</summary>
    private sealed class ScriptedProbe(params ProbeResult[] script) : IHealthProbe
    {
        private int _next;

        public Task<ProbeResult> ProbeAsync(CancellationToken ct)
        {
            if (script.Length == 0) return Task.FromResult(ProbeResult.Critical("not ready"));
            var i = Math.Min(Interlocked.Increment(ref _next) - 1, script.Length - 1);
            return Task.FromResult(script[i]);
        }
    }
}
