using System.Diagnostics;
using Drover.Agent.Drivers;
using Drover.Agent.Tests.Infrastructure;
using Drover.Core.Cluster;

namespace Drover.Agent.Tests;

public sealed class ProcessDriverTests : IAsyncLifetime
{
    private readonly TestDir _dir = new();
    private readonly ProcessReaper _reaper = new();
    private ProcessDriver _driver = null!;

    public Task InitializeAsync()
    {
        _driver = NewDriver();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        _reaper.Dispose();
        await _driver.DisposeAsync();
        _dir.Dispose();
    }

    private ProcessDriver NewDriver() => new(new ProcessDriverOptions { DataDir = _dir.Path, EnableCgroups = false });

    private async Task<ITaskHandle> StartAsync(TaskSpec spec, ProcessDriver? driver = null) =>
        _reaper.Track(await Eventually.Within((driver ?? _driver).StartAsync(spec, CancellationToken.None), "task start"));

    private static string Read(ITaskHandle h, string stream) => File.ReadAllText(Path.Combine(h.Sandbox, stream));

    [Fact(Timeout = 20_000)]
    public async Task Cmd_writes_stdout_and_stderr_files_and_exit_zero_is_success()
    {
        var handle = await StartAsync(Specs.Cmd("echo out-line; echo err-line >&2"));

        var exit = await Eventually.Within(handle.Exited, "task exit");

        Assert.True(exit.Success, exit.Describe());
        Assert.Equal(0, exit.ExitCode);
        Assert.Equal("out-line\n", Read(handle, "stdout"));
        Assert.Equal("err-line\n", Read(handle, "stderr"));
        Assert.Equal(Path.Combine(_dir.Path, "sandboxes", handle.TaskId), handle.Sandbox);
        Assert.True(File.Exists(Path.Combine(_dir.Path, "tasks", handle.TaskId + ".json")), "runtime record written");
    }

    [Fact(Timeout = 20_000)]
    public async Task Task_gets_spec_env_sandbox_vars_and_runs_in_its_sandbox_without_agent_env()
    {
        Environment.SetEnvironmentVariable("DROVER_TEST_AGENT_ONLY", "leaked");
        var spec = Specs.Cmd("""echo "$PORT0|$MARATHON_APP_ID|$MESOS_SANDBOX|$DROVER_SANDBOX|$(pwd)|${DROVER_TEST_AGENT_ONLY:-unset}|${PATH:+path}" """) with
        {
            Env = new Dictionary<string, string> { ["PORT0"] = "31005", ["MARATHON_APP_ID"] = "/prod/web" },
            Ports = [31005],
        };

        var handle = await StartAsync(spec);
        await Eventually.Within(handle.Exited, "task exit");

        var sandbox = handle.Sandbox;
        Assert.Equal($"31005|/prod/web|{sandbox}|{sandbox}|{sandbox}|unset|path\n", Read(handle, "stdout"));
    }

    [Fact(Timeout = 20_000)]
    public async Task Args_run_directly_without_a_shell()
    {
        var handle = await StartAsync(Specs.Args("printf", "%s|", "a b", "$HOME", "'q'", "*"));

        var exit = await Eventually.Within(handle.Exited, "task exit");

        Assert.True(exit.Success, exit.Describe());
        Assert.Equal("a b|$HOME|'q'|*|", Read(handle, "stdout"));
    }

    [Fact(Timeout = 20_000)]
    public async Task Non_zero_exit_is_reported_with_its_code()
    {
        var handle = await StartAsync(Specs.Cmd("echo failing >&2; exit 3"));

        var exit = await Eventually.Within(handle.Exited, "task exit");

        Assert.False(exit.Success);
        Assert.Equal(3, exit.ExitCode);
        Assert.Null(exit.Signal);
        Assert.Equal("exited with code 3", exit.Describe());
    }

    [Fact(Timeout = 20_000)]
    public async Task Task_runs_in_its_own_session_and_process_group()
    {
        var handle = await StartAsync(Specs.Cmd("sleep 30"));

        var stat = Posix.ReadStat(handle.Pid);

        Assert.NotNull(stat);
        Assert.Equal(handle.Pid, stat.Value.ProcessGroup);
        Assert.Equal(handle.Pid, stat.Value.Session);
        await handle.KillAsync(TimeSpan.FromSeconds(5));
    }

    [Fact(Timeout = 20_000)]
    public async Task Kill_sends_sigterm_to_the_group_and_a_trap_can_exit_cleanly()
    {
        var handle = await StartAsync(Specs.Cmd("trap 'echo got TERM; exit 0' TERM; echo ready; while true; do sleep 0.05; done") with { KillGracePeriodSeconds = 10 });
        await Eventually.True(() => Read(handle, "stdout").Contains("ready"), "task printed ready");

        var sw = Stopwatch.StartNew();
        await Eventually.Within(handle.KillAsync(TimeSpan.FromSeconds(10)), "kill");
        var exit = await handle.Exited;

        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(5), $"TERM should end the task long before the grace period, took {sw.Elapsed}");
        Assert.Equal("ready\ngot TERM\n", Read(handle, "stdout"));
        Assert.Equal(0, exit.ExitCode);
        Assert.True(handle.KillRequested);
        Assert.False(Posix.IsAlive(handle.Pid, Posix.ReadStat(handle.Pid)?.StartTime ?? 0));
    }

    [Fact(Timeout = 20_000)]
    public async Task Kill_escalates_to_sigkill_after_the_grace_period_when_term_is_ignored()
    {
        var handle = await StartAsync(Specs.Cmd("trap '' TERM; echo ready; while true; do sleep 0.05; done"));
        await Eventually.True(() => Read(handle, "stdout").Contains("ready"), "task printed ready");

        var sw = Stopwatch.StartNew();
        await Eventually.Within(handle.KillAsync(TimeSpan.FromSeconds(1)), "kill");
        var exit = await handle.Exited;

        Assert.True(sw.Elapsed >= TimeSpan.FromSeconds(0.9), $"SIGKILL came before the grace period ended ({sw.Elapsed})");
        Assert.Equal(9, exit.Signal);
        Assert.Equal("killed by signal 9", exit.Describe());
    }

    [Fact(Timeout = 30_000)]
    public async Task Kill_right_after_start_is_not_lost_while_the_wrapper_starts_up()
    {
        for (var i = 0; i < 10; i++)
        {
            var handle = await StartAsync(Specs.Cmd("sleep 30"));
            var sw = Stopwatch.StartNew();
            await Eventually.Within(handle.KillAsync(TimeSpan.FromSeconds(20)), "kill");
            Assert.True(sw.Elapsed < TimeSpan.FromSeconds(5), $"round {i}: SIGTERM was lost, the task only died after {sw.Elapsed}");
            Assert.Equal(15, (await handle.Exited).Signal);
        }
    }

    [Fact(Timeout = 20_000)]
    public async Task Task_starts_with_default_signals_an_empty_mask_and_stdin_from_dev_null()
    {
        // The agent's runtime ignores SIGPIPE; a task must not inherit that (pipelines would misbehave).
        var handle = await StartAsync(Specs.Cmd("grep -E '^Sig(Ign|Blk)' /proc/self/status; readlink /proc/self/fd/0; yes | head -1"));

        var exit = await Eventually.Within(handle.Exited, "task exit");

        Assert.True(exit.Success, exit.Describe());
        var lines = Read(handle, "stdout").Split('\n');
        Assert.Equal("SigBlk:\t0000000000000000", lines[0]);
        var ignored = Convert.ToUInt64(lines[1]["SigIgn:\t".Length..], 16);
        foreach (var signal in new[] { 1 /* HUP */, 2 /* INT */, 13 /* PIPE */, 15 /* TERM */ })
            Assert.True((ignored & (1UL << (signal - 1))) == 0, $"signal {signal} is ignored in the task (SigIgn {lines[1]})");
        Assert.Equal(["/dev/null", "y", ""], lines[2..]);
        Assert.Equal("", Read(handle, "stderr"));
    }

    [Fact(Timeout = 20_000)]
    public async Task Background_children_die_with_the_task()
    {
        var handle = await StartAsync(Specs.Cmd("sleep 60 & echo $! > child.pid; exit 0"));
        await Eventually.Within(handle.Exited, "task exit");

        var childPid = int.Parse(File.ReadAllText(Path.Combine(handle.Sandbox, "child.pid")).Trim());
        await Eventually.True(() => Posix.ReadStat(childPid) is not { HasExited: false } s || s.ProcessGroup != handle.Pid,
            "background child of the task was killed with it");
    }

    [Fact(Timeout = 20_000)]
    public async Task Unknown_executable_fails_with_127_and_empty_spec_is_a_launch_error()
    {
        var handle = await StartAsync(Specs.Args("/nonexistent/binary"));
        var exit = await Eventually.Within(handle.Exited, "task exit");
        Assert.Equal(127, exit.ExitCode);

        var e = await Assert.ThrowsAsync<TaskLaunchException>(() => _driver.StartAsync(Specs.Cmd("") with { Args = null }, CancellationToken.None));
        Assert.Contains("neither cmd nor args", e.Message);
        var bad = await Assert.ThrowsAsync<TaskLaunchException>(() => _driver.StartAsync(Specs.Cmd("true", id: "../escape"), CancellationToken.None));
        Assert.Contains("task id", bad.Message);
    }

    [Fact(Timeout = 30_000)]
    public async Task Agent_restart_readopts_a_running_task_by_pid_and_can_kill_it()
    {
        var first = NewDriver();
        var handle = await StartAsync(Specs.Cmd("trap 'echo bye; exit 0' TERM; echo ready; while true; do sleep 0.05; done"), first);
        await Eventually.True(() => Read(handle, "stdout").Contains("ready"), "task printed ready");
        var startTime = Posix.ReadStat(handle.Pid)!.Value.StartTime;

        await first.DisposeAsync(); // the agent goes away without killing anything
        Assert.True(Posix.IsAlive(handle.Pid, startTime), "task survives its driver");

        await using var second = NewDriver();
        var recovered = Assert.Single(await second.RecoverAsync(CancellationToken.None));

        Assert.Equal(handle.TaskId, recovered.TaskId);
        Assert.Equal(handle.Pid, recovered.Pid);
        Assert.True(recovered.Recovered);
        Assert.False(recovered.Exited.IsCompleted);
        Assert.Equal(handle.Spec.Cmd, recovered.Spec.Cmd);

        await Eventually.Within(recovered.KillAsync(TimeSpan.FromSeconds(10)), "kill of re-adopted task");
        var exit = await recovered.Exited;
        Assert.Equal(0, exit.ExitCode);
        Assert.EndsWith("bye\n", Read(recovered, "stdout"));
        Assert.True(recovered.KillRequested);
    }

    [Fact(Timeout = 30_000)]
    public async Task Task_that_ended_while_the_agent_was_down_is_recovered_with_its_exit_code()
    {
        var first = NewDriver();
        var handle = await StartAsync(Specs.Cmd("while [ ! -f go ]; do sleep 0.02; done; exit 7"), first);
        var startTime = Posix.ReadStat(handle.Pid)!.Value.StartTime;
        await first.DisposeAsync();

        await File.WriteAllTextAsync(Path.Combine(handle.Sandbox, "go"), "");
        await Eventually.True(() => !Posix.IsAlive(handle.Pid, startTime), "task exited while no driver watched it");

        await using var second = NewDriver();
        var recovered = Assert.Single(await second.RecoverAsync(CancellationToken.None));

        Assert.True(recovered.Exited.IsCompleted);
        var exit = await recovered.Exited;
        Assert.Equal(7, exit.ExitCode);
        Assert.Equal("exited with code 7", exit.Describe());

        second.Forget(recovered.TaskId);
        Assert.Empty(await second.RecoverAsync(CancellationToken.None));
        Assert.True(Directory.Exists(recovered.Sandbox), "sandbox is kept for the logs");
    }

    [Fact(Timeout = 20_000)]
    public async Task Stale_pid_in_a_record_is_not_mistaken_for_the_task()
    {
        // A record whose pid is alive but whose start time differs (pid reused) must not be adopted.
        var spec = Specs.Cmd("true");
        var record = new TaskRuntimeRecord
        {
            TaskId = spec.TaskId,
            Driver = ProcessDriver.DriverName,
            Pid = Environment.ProcessId,
            ProcessStartTime = 1,
            Sandbox = _driver.GetSandboxPath(spec.TaskId),
            StartedAt = DateTimeOffset.UtcNow,
            Spec = spec,
        };
        _driver.WriteRecord(record);

        var recovered = Assert.Single(await _driver.RecoverAsync(CancellationToken.None));

        Assert.True(recovered.Exited.IsCompleted);
        Assert.Null((await recovered.Exited).ExitCode);
        Assert.True(Posix.IsAlive(Environment.ProcessId, Posix.ReadStat(Environment.ProcessId)!.Value.StartTime), "the test process was not signalled");
    }
}
