using Drover.Agent.Cgroups;
using Drover.Agent.Drivers;
using Drover.Agent.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Drover.Agent.Tests;

/// <summary>Real cgroups (v1 here; v2 where the host has it). Task groups go below the test process's own cgroup.</summary>
public sealed class CgroupTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly TestDir _dir = new();
    private readonly ProcessReaper _reaper = new();
    private readonly string _parent = "drover-tests-" + Guid.NewGuid().ToString("N")[..8];
    private ProcessDriver _driver = null!;
    private ProcessDriver? _hardDriver;

    public Task InitializeAsync()
    {
        _driver = new ProcessDriver(new ProcessDriverOptions { DataDir = _dir.Path, EnableCgroups = true, CgroupParent = _parent });
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        _reaper.Dispose();
        await _driver.DisposeAsync();
        if (_hardDriver is not null) await _hardDriver.DisposeAsync();
        foreach (var controller in new[] { "memory", "cpu", "cpuacct" })
        {
            var own = CgroupManager.OwnCgroup(controller) ?? "/";
            var dir = Path.Combine("/sys/fs/cgroup", controller, own.TrimStart('/'), _parent);
            try { if (Directory.Exists(dir)) Directory.Delete(dir); }
            catch (IOException) { }
        }
        _dir.Dispose();
    }

    private bool Available()
    {
        if (Environment.UserName != "root" || _driver.Cgroups.Version != CgroupVersion.V1)
        {
            output.WriteLine($"SKIPPED: needs root and cgroup v1 (user {Environment.UserName}, detected {CgroupManager.Detect()})");
            return false;
        }
        return true;
    }

    [Fact(Timeout = 30_000)]
    public async Task V1_limits_are_applied_before_the_command_runs_and_the_group_is_removed_after_exit()
    {
        if (!Available()) return;
        var spec = Specs.Cmd("cat /proc/self/cgroup; echo ready; while true; do sleep 0.05; done") with { MemMb = 64, Cpus = 0.5 };

        var handle = _reaper.Track(await _driver.StartAsync(spec, CancellationToken.None));
        await Eventually.True(() => File.ReadAllText(Path.Combine(handle.Sandbox, "stdout")).Contains("ready"), "task printed ready");

        var memoryDir = Path.Combine("/sys/fs/cgroup/memory", CgroupManager.OwnCgroup("memory")!.TrimStart('/'), _parent, spec.TaskId);
        var cpuDir = Path.Combine("/sys/fs/cgroup/cpu", CgroupManager.OwnCgroup("cpu")!.TrimStart('/'), _parent, spec.TaskId);
        Assert.Equal((64L * 1024 * 1024).ToString(), File.ReadAllText(Path.Combine(memoryDir, "memory.limit_in_bytes")).Trim());
        Assert.Equal((64L * 1024 * 1024).ToString(), File.ReadAllText(Path.Combine(memoryDir, "memory.memsw.limit_in_bytes")).Trim());
        // cpus is a share (Mesos' default), not a cap: 0.5 × 1024, and no CFS quota.
        Assert.Equal("512", File.ReadAllText(Path.Combine(cpuDir, "cpu.shares")).Trim());
        Assert.Equal("-1", File.ReadAllText(Path.Combine(cpuDir, "cpu.cfs_quota_us")).Trim());
        // The command itself saw its cgroup: the wrapper joined it before running the user command.
        var seen = File.ReadAllText(Path.Combine(handle.Sandbox, "stdout"));
        Assert.Contains($"memory:{CgroupManager.OwnCgroup("memory")!.TrimEnd('/')}/{_parent}/{spec.TaskId}", seen);
        Assert.Contains(handle.Pid.ToString(), File.ReadAllText(Path.Combine(memoryDir, "cgroup.procs")));

        var usage = await handle.ReadUsageAsync();
        Assert.NotNull(usage);
        Assert.True(usage.MemoryBytes > 0, "memory usage is read");
        Assert.Equal(64UL * 1024 * 1024, usage.MemoryLimitBytes);

        await Eventually.Within(handle.KillAsync(TimeSpan.FromSeconds(5)), "kill");
        Assert.False(Directory.Exists(memoryDir), "memory group removed after exit");
        Assert.False(Directory.Exists(cpuDir), "cpu group removed after exit");
    }

    [Fact(Timeout = 30_000)]
    public async Task V1_memory_limit_is_enforced_by_the_kernel()
    {
        if (!Available()) return;
        // tail keeps the whole newline-free input in memory: far beyond the limit.
        var spec = Specs.Cmd("head -c 200000000 /dev/zero | tail -n 1 > /dev/null") with { MemMb = 32 };

        var handle = _reaper.Track(await _driver.StartAsync(spec, CancellationToken.None));
        var exit = await Eventually.Within(handle.Exited, "task exit");

        Assert.Equal(9, exit.Signal);
        Assert.True(exit.OomKilled, "the kernel's OOM kill is recognised");
        Assert.Equal("OOM killed: memory limit 32 MiB", exit.Describe());
    }

    [Fact(Timeout = 30_000)]
    public async Task V1_a_plain_kill_by_signal_9_is_not_called_an_oom_kill()
    {
        if (!Available()) return;
        var spec = Specs.Cmd("kill -9 $$") with { MemMb = 32 };

        var handle = _reaper.Track(await _driver.StartAsync(spec, CancellationToken.None));
        var exit = await Eventually.Within(handle.Exited, "task exit");

        Assert.False(exit.OomKilled);
        Assert.Equal("killed by signal 9", exit.Describe());
    }

    [Fact(Timeout = 30_000)]
    public async Task V1_the_agent_hard_limit_sets_a_cfs_quota()
    {
        if (!Available()) return;
        _hardDriver = new ProcessDriver(new ProcessDriverOptions { DataDir = Path.Combine(_dir.Path, "hard"), EnableCgroups = true, CgroupParent = _parent, CpuHardLimit = true });
        var spec = Specs.Cmd("echo ready; while true; do sleep 0.05; done") with { Cpus = 0.05 };

        var handle = _reaper.Track(await _hardDriver.StartAsync(spec, CancellationToken.None));
        await Eventually.True(() => File.ReadAllText(Path.Combine(handle.Sandbox, "stdout")).Contains("ready"), "task printed ready");

        var cpuDir = Path.Combine("/sys/fs/cgroup/cpu", CgroupManager.OwnCgroup("cpu")!.TrimStart('/'), _parent, spec.TaskId);
        Assert.Equal("5000", File.ReadAllText(Path.Combine(cpuDir, "cpu.cfs_quota_us")).Trim());
        Assert.Equal("100000", File.ReadAllText(Path.Combine(cpuDir, "cpu.cfs_period_us")).Trim());
        Assert.Equal("51", File.ReadAllText(Path.Combine(cpuDir, "cpu.shares")).Trim());
        await Eventually.Within(handle.KillAsync(TimeSpan.FromSeconds(5)), "kill");
    }

    [Fact(Timeout = 30_000)]
    public async Task V1_the_app_label_asks_for_a_cfs_quota_on_an_agent_without_one()
    {
        if (!Available()) return;
        var spec = Specs.Cmd("echo ready; while true; do sleep 0.05; done") with
        {
            Cpus = 0.25,
            Labels = new Dictionary<string, string> { ["DROVER_CPU_HARD_LIMIT"] = "true" },
        };

        var handle = _reaper.Track(await _driver.StartAsync(spec, CancellationToken.None));
        await Eventually.True(() => File.ReadAllText(Path.Combine(handle.Sandbox, "stdout")).Contains("ready"), "task printed ready");

        var cpuDir = Path.Combine("/sys/fs/cgroup/cpu", CgroupManager.OwnCgroup("cpu")!.TrimStart('/'), _parent, spec.TaskId);
        Assert.Equal("25000", File.ReadAllText(Path.Combine(cpuDir, "cpu.cfs_quota_us")).Trim());
        Assert.Equal("256", File.ReadAllText(Path.Combine(cpuDir, "cpu.shares")).Trim());
        await Eventually.Within(handle.KillAsync(TimeSpan.FromSeconds(5)), "kill");
    }
}
