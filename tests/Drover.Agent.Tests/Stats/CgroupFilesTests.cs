using Drover.Agent.Cgroups;
using Drover.Agent.Tests.Infrastructure;

namespace Drover.Agent.Tests.Stats;

/// <summary>
/// The cgroup files as the kernel writes them (v1: cpuacct, cpu, memory hierarchies; v2: one directory), copied
/// from real hosts, and the same files damaged: a damaged figure is absent, the others are still read.
/// </summary>
public sealed class CgroupFilesTests : IDisposable
{
    private readonly TestDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private string Dir(string name, params (string File, string Text)[] files)
    {
        var dir = _dir.Combine(name);
        Directory.CreateDirectory(dir);
        foreach (var (file, text) in files) File.WriteAllText(Path.Combine(dir, file), text);
        return dir;
    }

    private static readonly DateTimeOffset Now = DateTimeOffset.Parse("2026-11-30T09:00:00Z");

    [Fact]
    public void V1_reads_cpu_time_throttling_memory_split_limit_and_oom_kills()
    {
        var cpuacct = Dir("cpuacct", ("cpuacct.usage", "2500000000\n"), ("cpuacct.stat", "user 180\nsystem 70\n"));
        var cpu = Dir("cpu", ("cpu.stat", "nr_periods 120\nnr_throttled 30\nthrottled_time 1500000000\n"));
        var memory = Dir("memory",
            ("memory.usage_in_bytes", "73400320\n"),
            ("memory.limit_in_bytes", "67108864\n"),
            ("memory.stat", "cache 1048576\nrss 65011712\nrss_huge 0\nmapped_file 0\ntotal_cache 2097152\ntotal_rss 66060288\n"),
            ("memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n"));

        var u = CgroupFiles.ReadV1(cpuacct, cpu, memory, Now);

        Assert.Equal("cgroup-v1", u.Source);
        Assert.Equal(2_500_000_000UL, u.CpuUsageNanos);
        Assert.Equal(1_800_000_000UL, u.CpuUserNanos); // 180 ticks of USER_HZ 100
        Assert.Equal(700_000_000UL, u.CpuSystemNanos);
        Assert.Equal(120UL, u.CpuPeriods);
        Assert.Equal(30UL, u.CpuThrottledPeriods);
        Assert.Equal(1_500_000_000UL, u.CpuThrottledNanos);
        Assert.Equal(73_400_320UL, u.MemoryBytes);
        Assert.Equal(66_060_288UL, u.MemoryRssBytes); // hierarchical total_ figures win
        Assert.Equal(2_097_152UL, u.MemoryCacheBytes);
        Assert.Equal(64UL * 1024 * 1024, u.MemoryLimitBytes);
        Assert.Equal(2, u.OomKills);
    }

    [Fact]
    public void V1_unlimited_memory_is_no_limit_and_missing_hierarchies_are_absent_figures()
    {
        var memory = Dir("memory", ("memory.usage_in_bytes", "4096\n"), ("memory.limit_in_bytes", "9223372036854771712\n"),
            ("memory.oom_control", "oom_kill_disable 0\nunder_oom 0\n")); // a kernel before 4.13 has no oom_kill line

        var u = CgroupFiles.ReadV1(cpuAcctDir: null, cpuDir: null, memory, Now);

        Assert.Null(u.MemoryLimitBytes);
        Assert.Null(u.OomKills);
        Assert.Equal(0UL, u.CpuUsageNanos);
        Assert.Null(u.CpuThrottledNanos);
        Assert.Null(u.MemoryRssBytes);
        Assert.Equal(4096UL, u.MemoryBytes);
    }

    [Fact]
    public void V2_reads_cpu_stat_memory_stat_max_and_events()
    {
        var dir = Dir("v2",
            ("cpu.stat", "usage_usec 2500000\nuser_usec 2000000\nsystem_usec 500000\nnr_periods 50\nnr_throttled 5\nthrottled_usec 250000\n"),
            ("memory.current", "52428800\n"),
            ("memory.max", "67108864\n"),
            ("memory.stat", "anon 41943040\nfile 8388608\nkernel_stack 65536\n"),
            ("memory.events", "low 0\nhigh 0\nmax 40\noom 2\noom_kill 1\noom_group_kill 0\n"));

        var u = CgroupFiles.ReadV2(dir, Now);

        Assert.Equal("cgroup-v2", u.Source);
        Assert.Equal(2_500_000_000UL, u.CpuUsageNanos);
        Assert.Equal(2_000_000_000UL, u.CpuUserNanos);
        Assert.Equal(500_000_000UL, u.CpuSystemNanos);
        Assert.Equal(5UL, u.CpuThrottledPeriods);
        Assert.Equal(250_000_000UL, u.CpuThrottledNanos);
        Assert.Equal(52_428_800UL, u.MemoryBytes);
        Assert.Equal(41_943_040UL, u.MemoryRssBytes);
        Assert.Equal(8_388_608UL, u.MemoryCacheBytes);
        Assert.Equal(64UL * 1024 * 1024, u.MemoryLimitBytes);
        Assert.Equal(1, u.OomKills);
        Assert.Equal(Now, u.Timestamp);
    }

    [Fact]
    public void V2_memory_max_of_max_is_no_limit()
    {
        var u = CgroupFiles.ReadV2(Dir("v2max", ("memory.max", "max\n"), ("memory.current", "1\n")), Now);
        Assert.Null(u.MemoryLimitBytes);
        Assert.Null(u.OomKills);
    }

    [Fact]
    public void Malformed_files_cost_only_their_own_figures()
    {
        var dir = Dir("broken",
            ("cpu.stat", "usage_usec twelve\nuser_usec 2000000\n\ngarbage\nsystem_usec -5\n nr_throttled 3 \n"),
            ("memory.current", "\n"),
            ("memory.max", "lots\n"),
            ("memory.stat", "anon\nfile 4096 extra\n"),
            ("memory.events", "oom_kill 18446744073709551615\n")); // beyond a long: not believed

        var u = CgroupFiles.ReadV2(dir, Now);

        Assert.Equal(0UL, u.CpuUsageNanos);
        Assert.Equal(2_000_000_000UL, u.CpuUserNanos);
        Assert.Null(u.CpuSystemNanos);
        Assert.Equal(3UL, u.CpuThrottledPeriods);
        Assert.Equal(0UL, u.MemoryBytes);
        Assert.Null(u.MemoryLimitBytes);
        Assert.Null(u.MemoryRssBytes);
        Assert.Null(u.MemoryCacheBytes);
        Assert.Null(u.OomKills);
    }

    [Fact]
    public void A_missing_directory_reads_as_no_figures_not_an_exception()
    {
        var u = CgroupFiles.ReadV2(_dir.Combine("gone"), Now);
        Assert.Equal(0UL, u.MemoryBytes);
        Assert.Null(u.CpuUserNanos);
    }

    [Theory]
    [InlineData("123\n", 123UL)]
    [InlineData("  7 ", 7UL)]
    [InlineData("max", null)]
    [InlineData("", null)]
    [InlineData("-1", null)]
    [InlineData("1.5", null)]
    public void Single_values_parse_or_are_absent(string text, ulong? expected) => Assert.Equal(expected, CgroupFiles.ParseValue(text));
}
