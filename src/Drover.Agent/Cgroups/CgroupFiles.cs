using System.Globalization;

namespace Drover.Agent.Cgroups;

/// <summary>
/// Parses the kernel's cgroup files. Tolerant by design: a line that is not "key number" is skipped and a value
/// that is not a number reads as absent, so a kernel that adds a field, or a file caught mid-rewrite, costs a figure,
/// never the whole reading.
/// </summary>
public static class CgroupFiles
{
    /// <summary>
    /// v1 reports "no limit" as the largest page-aligned long (9223372036854771712); anything from 2^62 up is
    /// taken as unlimited, as cAdvisor does.
    /// </summary>
    private const ulong UnlimitedV1 = 1UL << 62;

    /// <summary>USER_HZ: cpuacct.stat counts in these ticks (100 on every Linux ABI).</summary>
    public const long UserHz = 100;

    /// <summary>Flat keyed files (memory.stat, cpu.stat, memory.events, memory.oom_control, cpuacct.stat): "key value" per line.</summary>
    public static IReadOnlyDictionary<string, ulong> ParseKeyed(string text)
    {
        var values = new Dictionary<string, ulong>(StringComparer.Ordinal);
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            var space = line.IndexOf(' ');
            if (space <= 0) continue;
            var key = line[..space];
            if (ulong.TryParse(line.AsSpan(space + 1).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var value))
                values[key] = value;
        }
        return values;
    }

    /// <summary>A single-value file (memory.current, cpuacct.usage): null when empty, "max" or not a number.</summary>
    public static ulong? ParseValue(string text) =>
        ulong.TryParse(text.AsSpan().Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : null;

    /// <summary>A memory limit: v2's "max" and v1's huge "unlimited" value are both null.</summary>
    public static ulong? ParseLimit(string text) => ParseValue(text) is { } v && v < UnlimitedV1 ? v : null;

    /// <summary>The figures of a v1 task: cpuacct and cpu (throttling) and memory hierarchies; any directory may be absent.</summary>
    public static TaskResourceUsage ReadV1(string? cpuAcctDir, string? cpuDir, string? memoryDir, DateTimeOffset now)
    {
        var cpuacct = Keyed(cpuAcctDir, "cpuacct.stat");
        var cpu = Keyed(cpuDir, "cpu.stat");
        var memory = Keyed(memoryDir, "memory.stat");
        // total_* are hierarchical (the task's group and any below it); the plain ones only the group itself
        var rss = Get(memory, "total_rss") ?? Get(memory, "rss");
        var cache = Get(memory, "total_cache") ?? Get(memory, "cache");
        var usage = Value(memoryDir, "memory.usage_in_bytes");
        return new TaskResourceUsage
        {
            Timestamp = now,
            Source = "cgroup-v1",
            CpuUsageNanos = Value(cpuAcctDir, "cpuacct.usage") ?? 0,
            CpuUserNanos = Ticks(Get(cpuacct, "user")),
            CpuSystemNanos = Ticks(Get(cpuacct, "system")),
            CpuPeriods = Get(cpu, "nr_periods"),
            CpuThrottledPeriods = Get(cpu, "nr_throttled"),
            CpuThrottledNanos = Get(cpu, "throttled_time"),
            MemoryBytes = usage ?? rss ?? 0,
            MemoryRssBytes = rss,
            MemoryCacheBytes = cache,
            MemoryLimitBytes = memoryDir is null ? null : Read(memoryDir, "memory.limit_in_bytes") is { } limit ? ParseLimit(limit) : null,
            OomKills = Signed(Get(Keyed(memoryDir, "memory.oom_control"), "oom_kill")),
        };
    }

    /// <summary>The figures of a v2 task: one directory holds cpu.stat, memory.* and memory.events.</summary>
    public static TaskResourceUsage ReadV2(string dir, DateTimeOffset now)
    {
        var cpu = Keyed(dir, "cpu.stat");
        var memory = Keyed(dir, "memory.stat");
        return new TaskResourceUsage
        {
            Timestamp = now,
            Source = "cgroup-v2",
            CpuUsageNanos = (Get(cpu, "usage_usec") ?? 0) * 1000,
            CpuUserNanos = Get(cpu, "user_usec") * 1000,
            CpuSystemNanos = Get(cpu, "system_usec") * 1000,
            CpuPeriods = Get(cpu, "nr_periods"),
            CpuThrottledPeriods = Get(cpu, "nr_throttled"),
            CpuThrottledNanos = Get(cpu, "throttled_usec") * 1000,
            MemoryBytes = Value(dir, "memory.current") ?? 0,
            MemoryRssBytes = Get(memory, "anon"),
            MemoryCacheBytes = Get(memory, "file"),
            MemoryLimitBytes = Read(dir, "memory.max") is { } limit ? ParseLimit(limit) : null,
            OomKills = Signed(Get(Keyed(dir, "memory.events"), "oom_kill")),
        };
    }

    private static ulong? Ticks(ulong? ticks) => ticks * (ulong)(1_000_000_000 / UserHz);
    private static long? Signed(ulong? v) => v is { } x && x <= long.MaxValue ? (long)x : null;
    private static ulong? Get(IReadOnlyDictionary<string, ulong> values, string key) => values.TryGetValue(key, out var v) ? v : null;
    private static IReadOnlyDictionary<string, ulong> Keyed(string? dir, string file) =>
        dir is not null && Read(dir, file) is { } text ? ParseKeyed(text) : new Dictionary<string, ulong>();
    private static ulong? Value(string? dir, string file) => dir is not null && Read(dir, file) is { } text ? ParseValue(text) : null;

    /// <summary>A file's text, or null when it does not exist (a controller the kernel lacks) or cannot be read.</summary>
    private static string? Read(string dir, string file)
    {
        try
        {
            return File.ReadAllText(Path.Combine(dir, file));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
