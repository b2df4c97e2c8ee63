using System.Globalization;
using Drover.Agent.Cgroups;
using Drover.Agent.Drivers;

namespace Drover.Agent.Stats;

/// <summary>
/// Figures of a process task that runs without a cgroup (cgroups off or not allowed): the sum over the processes of
/// its process group, from /proc, as `top` would count them. Children that left the group, and those that already
/// exited, are not counted; the cgroup figures have neither gap.
/// </summary>
internal static class ProcGroupUsage
{
    public static TaskResourceUsage? Read(int processGroup, DateTimeOffset now)
    {
        if (processGroup <= 1) return null;
        ulong user = 0, system = 0, rssPages = 0;
        var found = false;
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)) continue;
            if (Posix.ReadStat(pid) is not { } stat || stat.ProcessGroup != processGroup || stat.HasExited) continue;
            found = true;
            user += stat.UserTicks;
            system += stat.SystemTicks;
            rssPages += stat.RssPages;
        }
        if (!found) return null;
        const ulong nanosPerTick = 1_000_000_000 / CgroupFiles.UserHz;
        var rss = rssPages * (ulong)Environment.SystemPageSize;
        return new TaskResourceUsage
        {
            Timestamp = now,
            Source = "proc",
            CpuUsageNanos = (user + system) * nanosPerTick,
            CpuUserNanos = user * nanosPerTick,
            CpuSystemNanos = system * nanosPerTick,
            MemoryBytes = rss,
            MemoryRssBytes = rss,
        };
    }
}
