using Drover.Agent.Drivers;
using Drover.Agent.Health;
using Drover.Agent.Tasks;
using Drover.Agent.Tests.Infrastructure;
using Drover.Api.Agents;
using Drover.Core.Apps;
using Drover.Core.Cluster;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;

namespace Drover.Agent.Tests;

public sealed class TaskRunnerTests : IAsyncLifetime
{
    private readonly TestDir _dir = new();
    private readonly ProcessReaper _reaper = new();
    private readonly HealthProbeFactory _probes = new();
    private readonly List<TaskStatusReport> _reports = [];
    private ProcessDriver _driver = null!;

    public Task InitializeAsync()
    {
        _driver = new ProcessDriver(new ProcessDriverOptions { DataDir = _dir.Path, EnableCgroups = false });
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        _reaper.Dispose();
        await _driver.DisposeAsync();
        _probes.Dispose();
        _dir.Dispose();
    }

    private TaskRunnerContext Context(TimeProvider? time = null) => new()
    {
        Time = time ?? TimeProvider.System,
        Log = NullLogger.Instance,
        Probes = _probes,
        OnStatus = r => { lock (_reports) _reports.Add(r); },
    };

    private List<string> States(string taskId)
    {
        lock (_reports) return [.. _reports.Where(r => r.TaskId == taskId).Select(r => r.State)];
    }

    private TaskStatusReport[] Reports()
    {
        lock (_reports) return [.. _reports];
    }

    private TaskStatusReport Last(string taskId)
    {
        lock (_reports) return _reports.Last(r => r.TaskId == taskId);
    }

    private async Task<TaskRunner> RunningAsync(TaskRunner runner)
    {
        await Eventually.True(() => runner.Handle is not null, "task started");
        _reaper.Track(runner.Handle!);
        return runner;
    }

    [Fact(Timeout = 20_000)]
    public async Task Task_goes_staging_running_finished()
    {
        var runner = TaskRunner.Launch(Specs.Cmd("echo hi") with { Ports = [31001] }, _driver, Context());

        await Eventually.Within(runner.Terminal, "terminal state");

        Assert.Equal(["TASK_STAGING", "TASK_RUNNING", "TASK_FINISHED"], States(runner.TaskId));
        var last = Last(runner.TaskId);
        Assert.Equal(0, last.ExitCode);
        Assert.Equal("/test", last.AppId);
        Assert.Equal([31001], last.Ports);
        Assert.NotNull(last.StartedAt);
    }

    [Fact(Timeout = 20_000)]
    public async Task Non_zero_exit_is_task_failed_with_the_code()
    {
        var runner = TaskRunner.Launch(Specs.Cmd("exit 3"), _driver, Context());

        await Eventually.Within(runner.Terminal, "terminal state");

        var last = Last(runner.TaskId);
        Assert.Equal("TASK_FAILED", last.State);
        Assert.Equal("exited with code 3", last.Message);
        Assert.Equal(3, last.ExitCode);
    }

    [Fact(Timeout = 20_000)]
    public async Task Fetch_failure_is_task_failed_with_a_clear_message()
    {
        var spec = Specs.Cmd("true") with { Fetch = [new FetchUri { Uri = "file:///nonexistent/app.tgz" }] };
        var runner = TaskRunner.Launch(spec, _driver, Context());

        await Eventually.Within(runner.Terminal, "terminal state");

        Assert.Equal(["TASK_STAGING", "TASK_FAILED"], States(runner.TaskId));
        Assert.StartsWith("fetch of file:///nonexistent/app.tgz failed", Last(runner.TaskId).Message);
    }

    [Fact(Timeout = 20_000)]
    public async Task Requested_kill_is_task_killed()
    {
        var runner = await RunningAsync(TaskRunner.Launch(Specs.Cmd("sleep 30"), _driver, Context()));

        runner.RequestKill();
        await Eventually.Within(runner.Terminal, "terminal state");

        Assert.Equal("TASK_KILLED", Last(runner.TaskId).State);
        Assert.Equal("killed by signal 15", Last(runner.TaskId).Message);
    }

    [Fact(Timeout = 20_000)]
    public async Task Kill_while_staging_abandons_the_launch()
    {
        var requested = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await TestHttpServer.StartAsync(app => app.MapGet("/slow.tgz", async (HttpContext c) =>
        {
            requested.TrySetResult();
            await Task.Delay(Timeout.Infinite, c.RequestAborted);
        }));
        var spec = Specs.Cmd("true") with { Fetch = [new FetchUri { Uri = new Uri(server.BaseUri, "/slow.tgz").AbsoluteUri }] };
        var runner = TaskRunner.Launch(spec, _driver, Context());
        await Eventually.Within(requested.Task, "fetch started");

        runner.RequestKill();
        await Eventually.Within(runner.Terminal, "terminal state");

        Assert.Equal(["TASK_STAGING", "TASK_KILLED"], States(runner.TaskId));
        Assert.Null(runner.Handle);
    }

    [Fact(Timeout = 20_000)]
    public async Task Failing_health_check_kills_the_task_as_failed_and_results_are_reported()
    {
        var clock = new ManualTimeProvider();
        var marker = _dir.Combine("ok");
        await File.WriteAllTextAsync(marker, "");
        var spec = Specs.Cmd("trap 'exit 0' TERM; while true; do sleep 0.05; done") with
        {
            Fetch = [new FetchUri { Uri = marker }], // the check passes from the very first run
            HealthChecks =
            [
                new HealthCheckDefinition
                {
                    Protocol = "COMMAND",
                    Command = new CommandSpec { Value = "test -f ok || exit 2" },
                    GracePeriodSeconds = 0, IntervalSeconds = 5, MaxConsecutiveFailures = 2,
                },
            ],
        };
        var runner = await RunningAsync(TaskRunner.Launch(spec, _driver, Context(clock)));
        var check = await Eventually.Value(() => runner.HealthChecks.FirstOrDefault(), "health check runner");
        await Eventually.True(() => check.ChecksCompleted == 1, "first check");
        Assert.True(check.Result!.Alive);
        await Eventually.True(() => Last(runner.TaskId).HealthCheckResults is [{ Alive: true }], "healthy result reported");

        // The marker goes: the next two checks fail and the agent kills the task.
        File.Delete(Path.Combine(runner.Sandbox!, "ok"));
        var done = check.ChecksCompleted;
        clock.Advance(TimeSpan.FromSeconds(5));
        await Eventually.True(() => check.ChecksCompleted > done, "first failing check");
        clock.Advance(TimeSpan.FromSeconds(5));
        await Eventually.Within(runner.Terminal, "task killed for failing its health check");

        var last = Last(runner.TaskId);
        Assert.Equal("TASK_FAILED", last.State);
        Assert.Equal("health check failed: command exited with code 2", last.Message);
        Assert.Contains(Reports(), r => r.HealthCheckResults.Count == 1 && !r.HealthCheckResults[0].Alive);
    }

    [Fact(Timeout = 20_000)]
    public async Task Readiness_results_are_reported_as_they_change_and_dropped_when_the_task_ends()
    {
        var clock = new ManualTimeProvider();
        var status = 503;
        await using var server = await TestHttpServer.StartAsync(app => app.MapGet("/ready", () => Results.StatusCode(Volatile.Read(ref status))));
        var spec = Specs.Cmd("trap 'exit 0' TERM; while true; do sleep 0.05; done") with
        {
            Ports = [server.Port],
            PortNames = ["http-api"],
            ReadinessChecks = [new ReadinessCheckDefinition { Path = "/ready", IntervalSeconds = 10, TimeoutSeconds = 5 }],
        };
        var runner = await RunningAsync(TaskRunner.Launch(spec, _driver, Context(clock)));
        var check = await Eventually.Value(() => runner.ReadinessChecks.FirstOrDefault(), "readiness check runner");
        await Eventually.True(() => Last(runner.TaskId).ReadinessCheckResults is [{ Ready: false }], "not-ready result reported");

        Volatile.Write(ref status, 200);
        clock.Advance(TimeSpan.FromSeconds(10));
        await Eventually.True(() => Last(runner.TaskId).ReadinessCheckResults is [{ Ready: true, Name: "readinessCheck" }], "ready result reported at once");
        await Eventually.Within(check.Stopped, "readiness checking stops once ready");
        Assert.True(runner.Status().ReadinessCheckResults is [{ Ready: true }]);

        runner.RequestKill();
        await Eventually.Within(runner.Terminal, "task killed");
        Assert.Empty(Last(runner.TaskId).ReadinessCheckResults);
    }

    [Fact(Timeout = 20_000)]
    public async Task Local_tasks_apply_assignments_and_forget_acknowledged_tasks_for_good()
    {
        await using var tasks = new LocalTasks([_driver], Context());
        var keep = Specs.Cmd("sleep 30");
        var drop = Specs.Cmd("sleep 30");
        var ghost = Specs.Cmd("sleep 30");

        tasks.Apply([new TaskAssignment { Spec = keep }, new TaskAssignment { Spec = drop }, new TaskAssignment { Spec = ghost, Kill = true }]);
        var keepRunner = await RunningAsync(tasks.Find(keep.TaskId)!);
        var dropRunner = await RunningAsync(tasks.Find(drop.TaskId)!);
        Assert.Equal("TASK_KILLED", tasks.Find(ghost.TaskId)!.Status().State);

        tasks.Apply([new TaskAssignment { Spec = keep }]); // drop is no longer wanted
        await Eventually.Within(dropRunner.Terminal, "unassigned task killed");
        Assert.Equal(TaskState.Killed, dropRunner.State);
        Assert.Equal(TaskState.Running, keepRunner.State);

        tasks.Acknowledge(tasks.Snapshot());
        Assert.Null(tasks.Find(drop.TaskId));
        Assert.Null(tasks.Find(ghost.TaskId));
        Assert.NotNull(tasks.Find(keep.TaskId));
        Assert.False(File.Exists(Path.Combine(_dir.Path, "tasks", drop.TaskId + ".json")), "runtime record deleted");
        Assert.True(Directory.Exists(_driver.GetSandboxPath(drop.TaskId)), "sandbox kept");

        // A stale assignment list naming the forgotten task does not start it again.
        tasks.Apply([new TaskAssignment { Spec = keep }, new TaskAssignment { Spec = drop }]);
        Assert.Null(tasks.Find(drop.TaskId));

        await tasks.KillAllAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(15));
        Assert.Equal(TaskState.Killed, keepRunner.State);
    }
}
