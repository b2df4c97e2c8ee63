using Drover.Agent.Cgroups;
using Drover.Core.Resources;
using Drover.Agent.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;

namespace Drover.Agent.Tests;

/// <summary>
/// The cgroup v2 paths on a fake unified hierarchy (a plain directory with the files the kernel would show):
/// this host's v2 hierarchy has no cpu or memory controllers, most current distributions have nothing else.
/// </summary>
public sealed class CgroupV2Tests : IDisposable
{
    private readonly TestDir _root = new();

    public CgroupV2Tests()
    {
        File.WriteAllText(Path.Combine(_root.Path, "cgroup.controllers"), "cpuset cpu io memory pids\n");
        File.WriteAllText(Path.Combine(_root.Path, "cgroup.subtree_control"), "\n");
        Directory.CreateDirectory(Path.Combine(_root.Path, "drover"));
        File.WriteAllText(Path.Combine(_root.Path, "drover", "cgroup.subtree_control"), "\n");
    }

    public void Dispose() => _root.Dispose();

    private CgroupManager Manager() => new(enabled: true, "/drover", NullLogger.Instance, _root.Path);

    private string Read(string taskId, string file) => File.ReadAllText(Path.Combine(_root.Path, "drover", taskId, file)).Trim();

    [Fact]
    public void A_unified_hierarchy_with_cpu_and_memory_is_detected_as_v2()
    {
        Assert.Equal(CgroupVersion.V2, CgroupManager.Detect(_root.Path));
        File.WriteAllText(Path.Combine(_root.Path, "cgroup.controllers"), "cpuset io pids\n");
        Assert.Equal(CgroupVersion.None, CgroupManager.Detect(_root.Path));
    }

    [Fact]
    public void Cpus_become_a_weight_converted_from_shares_and_no_quota()
    {
        var group = Manager().Create("t1", new CpuLimits(1, Hard: false), memMb: 32);

        Assert.NotNull(group);
        Assert.Equal(CgroupVersion.V2, group.Version);
        Assert.Equal("39", Read("t1", "cpu.weight")); // 1024 shares, as runc converts them
        Assert.Equal("max 100000", Read("t1", "cpu.max"));
        Assert.Equal((32L * 1024 * 1024).ToString(), Read("t1", "memory.max"));
        // controllers were enabled from the root down to the parent of the task group
        Assert.Equal("+cpu +memory", File.ReadAllText(Path.Combine(_root.Path, "cgroup.subtree_control")));
        Assert.Equal("+cpu +memory", File.ReadAllText(Path.Combine(_root.Path, "drover", "cgroup.subtree_control")));
    }

    [Fact]
    public void A_hard_limit_writes_a_quota_into_cpu_max()
    {
        Manager().Create("t2", new CpuLimits(0.05, Hard: true), memMb: 0);

        Assert.Equal("5000 100000", Read("t2", "cpu.max"));
        Assert.Equal("2", Read("t2", "cpu.weight")); // 51 shares
        Assert.False(File.Exists(Path.Combine(_root.Path, "drover", "t2", "memory.max")), "no memory limit asked, none written");
    }

    [Fact]
    public void No_cpus_leaves_the_cpu_files_alone()
    {
        Manager().Create("t3", new CpuLimits(0, Hard: true), memMb: 16);

        Assert.False(File.Exists(Path.Combine(_root.Path, "drover", "t3", "cpu.max")));
        Assert.False(File.Exists(Path.Combine(_root.Path, "drover", "t3", "cpu.weight")));
    }

    [Fact]
    public void Oom_kills_are_read_from_memory_events()
    {
        var group = Manager().Create("t4", new CpuLimits(0.1, Hard: false), memMb: 32)!;
        Assert.Null(CgroupManager.ReadOomKills(group)); // the kernel writes memory.events; the fake has none yet

        File.WriteAllText(Path.Combine(_root.Path, "drover", "t4", "memory.events"), "low 0\nhigh 0\nmax 12\noom 1\noom_kill 0\n");
        Assert.Equal(0, CgroupManager.ReadOomKills(group));

        File.WriteAllText(Path.Combine(_root.Path, "drover", "t4", "memory.events"), "low 0\nhigh 0\nmax 40\noom 2\noom_kill 1\noom_group_kill 0\n");
        Assert.Equal(1, CgroupManager.ReadOomKills(group));
    }

    [Fact]
    public void Usage_is_read_from_cpu_stat_and_memory_current()
    {
        var manager = Manager();
        var group = manager.Create("t5", new CpuLimits(0.5, Hard: false), memMb: 64)!;
        File.WriteAllText(Path.Combine(_root.Path, "drover", "t5", "cpu.stat"), "usage_usec 2500\nuser_usec 2000\nsystem_usec 500\n");
        File.WriteAllText(Path.Combine(_root.Path, "drover", "t5", "memory.current"), "4096\n");

        var usage = manager.ReadUsage(group, DateTimeOffset.UnixEpoch);

        Assert.NotNull(usage);
        Assert.Equal(2_500_000UL, usage.CpuUsageNanos);
        Assert.Equal(4096UL, usage.MemoryBytes);
        Assert.Equal(64UL * 1024 * 1024, usage.MemoryLimitBytes);
    }
}
