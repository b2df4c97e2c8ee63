using Drover.Agent.Drivers;
using Drover.Agent.Health;
using Drover.Agent.Tasks;
using Drover.Agent.Tests.Infrastructure;
using Drover.Api.Agents;
using Drover.Core.Cluster;
using Microsoft.Extensions.Logging.Abstractions;

namespace Drover.Agent.Tests;

/// <summary>Cut off from the server, the agent restarts tasks that end by themselves, with the app's backoff, as later incarnations.</summary>
public sealed class LocalRestartsTests : IAsyncLifetime
{
    private readonly TestDir _dir = new();
    private readonly HealthProbeFactory _probes = new();
    private readonly ManualTimeProvider _time = new(DateTimeOffset.UtcNow);
    private ProcessDriver _driver = null!;
    private LocalTasks _tasks = null!;
    private LocalRestarts _restarts = null!;

    public Task InitializeAsync()
    {
        // the driver on the real clock (kill grace periods), the runners and restarts on the test's clock
        _driver = new ProcessDriver(new ProcessDriverOptions { DataDir = _dir.Path, EnableCgroups = false });
        _tasks = new LocalTasks([_driver], new TaskRunnerContext { Time = _time, Log = NullLogger.Instance, Probes = _probes, OnStatus = _ => { } });
        _restarts = new LocalRestarts(_tasks, _time, NullLogger.Instance);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _tasks.KillAllAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(20));
        await _tasks.DisposeAsync();
        await _driver.DisposeAsync();
        _probes.Dispose();
        _dir.Dispose();
    }

    private static TaskSpec Crashing(string id, string cmd = "exit 1") => Specs.Cmd(cmd, id) with
    {
        BackoffSeconds = 2, BackoffFactor = 2, MaxLaunchDelaySeconds = 3, Ports = [31005],
        Env = new Dictionary<string, string> { ["MESOS_TASK_ID"] = id, ["DROVER_TASK_ID"] = id, ["KEEP"] = "me" },
    };

    private async Task<TaskRunner> EndedAsync(string id)
    {
        var runner = _tasks.Find(id) ?? throw new InvalidOperationException($"no runner {id}");
        await runner.Terminal.WaitAsync(TimeSpan.FromSeconds(20));
        return runner;
    }

    [Fact(Timeout = 60_000)]
    public async Task Crashed_tasks_restart_as_the_next_incarnation_after_the_apps_backoff()
    {
        const string id = "web.instance-aa._app.1";
        _tasks.Apply([new TaskAssignment { Spec = Crashing(id) }]);
        var first = await EndedAsync(id);
        Assert.Equal(TaskState.Failed, first.State);

        Assert.Empty(_restarts.Tick(cutOff: false)); // in touch with the server: it decides
        Assert.Empty(_restarts.Tick(cutOff: true)); // cut off: due after backoffSeconds (2 s)
        _time.Advance(TimeSpan.FromSeconds(1.9));
        Assert.Empty(_restarts.Tick(cutOff: true));
        _time.Advance(TimeSpan.FromSeconds(0.2));
        var second = Assert.Single(_restarts.Tick(cutOff: true));

        Assert.Equal("web.instance-aa._app.2", second.TaskId);
        Assert.Equal([31005], second.Spec.Ports);
        Assert.Equal(("web.instance-aa._app.2", "web.instance-aa._app.2", "me"),
            (second.Spec.Env["MESOS_TASK_ID"], second.Spec.Env["DROVER_TASK_ID"], second.Spec.Env["KEEP"]));
        Assert.True(first.Superseded);

        await EndedAsync(second.TaskId);
        Assert.Empty(_restarts.Tick(cutOff: true)); // next delay: 2 × 2 = 4, capped at maxLaunchDelaySeconds 3
        _time.Advance(TimeSpan.FromSeconds(2.9));
        Assert.Empty(_restarts.Tick(cutOff: true));
        _time.Advance(TimeSpan.FromSeconds(0.2));
        var third = Assert.Single(_restarts.Tick(cutOff: true));
        Assert.Equal("web.instance-aa._app.3", third.TaskId);
        Assert.Equal(3, _tasks.All().Count); // each incarnation is kept until the server acknowledges its end
    }

    [Fact(Timeout = 60_000)]
    public async Task Tasks_killed_on_request_are_not_restarted()
    {
        const string id = "web.instance-bb._app.1";
        var spec = Crashing(id, "exec sleep 30");
        _tasks.Apply([new TaskAssignment { Spec = spec }]);
        await Eventually.True(() => _tasks.Find(id)?.State == TaskState.Running, "task running");
        _tasks.Apply([new TaskAssignment { Spec = spec, Kill = true }]);
        var runner = await EndedAsync(id);
        Assert.Equal(TaskState.Killed, runner.State);

        Assert.Empty(_restarts.Tick(cutOff: true));
        _time.Advance(TimeSpan.FromSeconds(60));
        Assert.Empty(_restarts.Tick(cutOff: true));
        Assert.False(runner.Superseded);
    }

    [Fact(Timeout = 60_000)]
    public async Task Back_in_touch_the_delays_start_afresh()
    {
        _tasks.Apply([new TaskAssignment { Spec = Crashing("a.instance-1._app.1") }]);
        await EndedAsync("a.instance-1._app.1");
        Assert.Empty(_restarts.Tick(cutOff: true));
        _time.Advance(TimeSpan.FromSeconds(2.1));
        var next = Assert.Single(_restarts.Tick(cutOff: true));
        await EndedAsync(next.TaskId);

        Assert.Empty(_restarts.Tick(cutOff: false)); // the server answered: forget the delays
        _time.Advance(TimeSpan.FromSeconds(0.1));
        Assert.Empty(_restarts.Tick(cutOff: true)); // scheduled again from its end, with the first delay (2 s), not 3 s
        _time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal("a.instance-1._app.3", Assert.Single(_restarts.Tick(cutOff: true)).TaskId);
    }
}
