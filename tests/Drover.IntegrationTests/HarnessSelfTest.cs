using Drover.IntegrationTests.Harness;

namespace Drover.IntegrationTests;

/// <summary>Checks the integration-test machinery itself, independent of what Drover implements.</summary>
public sealed class HarnessSelfTest
{
    private static readonly TimeSpan Short = TimeSpan.FromSeconds(10);

    [Fact]
    public void FreePort_returns_a_port_that_can_be_bound()
    {
        var port = FreePort.Get();
        Assert.InRange(port, 1024, 65535);
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, port);
        listener.Start();
    }

    [Fact]
    public async Task WaitForLine_sees_output_and_SIGTERM_stops_the_process()
    {
        // exec: SIGTERM goes to the PID only, so a shell's own `sleep` child would outlive it.
        await using var p = DroverProcess.StartExecutable("/bin/sh", ["-c", "echo starting; echo ready; exec sleep 60"]);
        var line = await p.WaitForLineAsync(l => l == "ready", Short);
        Assert.Equal("ready", line);
        Assert.False(p.HasExited);

        await p.KillAsync(UnixSignal.Term);
        var code = await p.WaitForExitAsync(Short);
        Assert.Equal(128 + (int)UnixSignal.Term, code); // .NET reports "killed by signal N" as 128+N
        Assert.False(ProcessAlive(p.Pid), $"pid {p.Pid} still alive after SIGTERM");
    }

    [Fact]
    public async Task SIGKILL_by_pid_kills_only_that_process()
    {
        await using var p = DroverProcess.StartExecutable("/bin/sleep", ["60"]);
        Assert.True(ProcessAlive(p.Pid));
        await p.KillAsync(UnixSignal.Kill);
        Assert.True(p.HasExited);
        Assert.False(ProcessAlive(p.Pid), $"pid {p.Pid} still alive after SIGKILL");
    }

    [Fact]
    public async Task Dispose_kills_the_process_and_its_children()
    {
        int pid;
        var childPidFile = Path.Combine(Path.GetTempPath(), $"drover-selftest-{Guid.NewGuid():N}.pid");
        try
        {
            await using (var p = DroverProcess.StartExecutable("/bin/sh", ["-c", $"sleep 60 & echo $! > {childPidFile}; echo ready; wait"]))
            {
                pid = p.Pid;
                await p.WaitForLineAsync("ready", Short);
            }

            var child = int.Parse((await File.ReadAllTextAsync(childPidFile)).Trim());
            Assert.False(ProcessAlive(pid), $"pid {pid} still alive after dispose");
            await Eventually.AsyncAssert(() => Task.FromResult(!ProcessAlive(child)), Short, $"child sleep (pid {child}) should be gone after dispose");
        }
        finally
        {
            File.Delete(childPidFile);
        }
    }

    [Fact]
    public async Task WaitForLine_fails_fast_when_the_process_exits_without_the_line()
    {
        await using var p = DroverProcess.StartExecutable("/bin/sh", ["-c", "echo something else; echo oops >&2; exit 3"]);
        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => p.WaitForLineAsync("ready", TimeSpan.FromSeconds(30)));
        Assert.Contains("exited with code 3", ex.Message);
        Assert.Contains("oops", ex.Message); // stderr is captured and shown
        Assert.Contains(p.Lines, l => l.IsStderr && l.Text == "oops");
    }

    [Fact]
    public async Task WaitForLine_times_out_with_the_captured_output()
    {
        await using var p = DroverProcess.StartExecutable("/bin/sh", ["-c", "echo hello; sleep 60"]);
        var ex = await Assert.ThrowsAsync<TimeoutException>(() => p.WaitForLineAsync("never", TimeSpan.FromMilliseconds(300)));
        Assert.Contains("hello", ex.Message);
    }

    [Fact]
    public async Task Drover_cli_dll_is_next_to_the_tests_and_runs()
    {
        Assert.True(File.Exists(DroverProcess.CliDllPath), DroverProcess.CliDllPath);
        var result = await DroverProcess.RunCliAsync(TimeSpan.FromSeconds(60), "--help");
        Assert.False(result.TimedOut, result.ToString());
        Assert.Equal(0, result.ExitCode);
    }

    [Fact]
    public async Task Eventually_polls_until_true_and_reports_failure_with_the_reason()
    {
        var calls = 0;
        await Eventually.AsyncAssert(() => Task.FromResult(++calls >= 3), Short, "third call succeeds");
        Assert.Equal(3, calls);

        var ex = await Assert.ThrowsAsync<EventuallyFailedException>(() =>
            Eventually.AsyncAssert(() => Task.FromException<bool>(new InvalidOperationException("boom")), TimeSpan.FromMilliseconds(200), "never", () => "diag-text"));
        Assert.Contains("never", ex.Message);
        Assert.Contains("boom", ex.Message);
        Assert.Contains("diag-text", ex.Message);

        await Assert.ThrowsAsync<EventuallyAbortedException>(() =>
            Eventually.AsyncAssert(() => Task.FromException<bool>(new EventuallyAbortedException("stop")), Short, "aborted"));
    }

    [Fact]
    public void TempDir_is_created_and_removed()
    {
        string path;
        using (var dir = new TempDir("selftest"))
        {
            path = dir.Path;
            Assert.True(Directory.Exists(path));
            File.WriteAllText(Path.Combine(dir.CreateSubdirectory("a"), "f.txt"), "x");
        }

        Assert.False(Directory.Exists(path));
    }

    [Fact]
    public async Task PythonClient_runs_source_and_reports_exit_code_and_output()
    {
        var ok = await PythonClient.RunAsync("import sys; print('args', sys.argv[1:]); print('err', file=sys.stderr)", "a", "b");
        Assert.True(ok.Succeeded, ok.ToString());
        Assert.Contains("args ['a', 'b']", ok.Stdout);
        Assert.Contains("err", ok.Stderr);

        var failed = await PythonClient.RunAsync("raise SystemExit(4)");
        Assert.Equal(4, failed.ExitCode);

        var slow = await PythonClient.RunAsync("import time; time.sleep(60)", TimeSpan.FromMilliseconds(500));
        Assert.True(slow.TimedOut);
    }

    [Fact]
    public async Task Debian_api_clients_are_installed_for_the_compatibility_tests()
    {
        var r = await PythonClient.RunAsync("from marathon import MarathonClient, MarathonApp; from marathon.models import MarathonHealthCheck; import consul; print('ok')");
        Assert.True(r.Succeeded, "python3-marathon / python3-consul missing? ./test.sh installs them.\n" + r);
        Assert.True(File.Exists(Path.Combine(PythonClient.ScriptDirectory, "marathon_client_check.py")));
    }

    private static bool ProcessAlive(int pid)
    {
        // A zombie still has a /proc entry; only count processes that are not yet reaped-or-dead.
        var stat = $"/proc/{pid}/stat";
        if (!File.Exists(stat)) return false;
        try
        {
            var text = File.ReadAllText(stat);
            var state = text[(text.LastIndexOf(')') + 2)..][0];
            return state != 'Z' && state != 'X';
        }
        catch (IOException)
        {
            return false;
        }
    }
}
