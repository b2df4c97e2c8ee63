using System.Globalization;
using Drover.Api.Stats;

namespace Drover.Cli.Output;

/// <summary>The tables of `drover top`: hosts, then tasks, in the units `docker stats` and `top` use.</summary>
public static class StatsView
{
    public static void Write(TextWriter w, ClusterStats stats, int width, bool noTrunc)
    {
        var hosts = new Table("HOST~", "CPUS", "CPU %", "LOAD 1/5/15", "MEM USED / TOTAL", "DISK USED / TOTAL", "TASKS");
        foreach (var h in stats.Hosts)
        {
            hosts.Add(h.Hostname, h.Cpu.Cores, Percent(h.Cpu.Rate, h.Cpu.Cores),
                h.Load is { } l ? $"{Num(l.One)} {Num(l.Five)} {Num(l.Fifteen)}" : null,
                h.Memory is { } m ? $"{Bytes(m.UsedBytes)} / {Bytes(m.TotalBytes)}" : null,
                h.Disk is { } d ? $"{Bytes(d.UsedBytes)} / {Bytes(d.TotalBytes)}" : null,
                h.Tasks);
        }
        hosts.Write(w, width);
        w.WriteLine();

        var names = noTrunc ? stats.Tasks.ToDictionary(t => t.TaskId, t => t.TaskId) : TaskNames.Shorten(stats.Tasks.Select(t => t.TaskId));
        var tasks = new Table("TASK~", "APP~", "HOST~", "CPU %", "CPU TIME", "THROTTLED", "MEM", "LIMIT", "MEM %", "OOM", "NET RX / TX", "DISK");
        foreach (var t in stats.Tasks)
        {
            var mem = t.Memory;
            tasks.Add(names.GetValueOrDefault(t.TaskId, t.TaskId), t.AppId, t.Host,
                Percent(t.Cpu?.Rate, 1), t.Cpu is { } c ? CpuTime(c.UsageSeconds) : null,
                t.Cpu?.ThrottledSeconds is { } th ? CpuTime(th) : null,
                mem is null ? null : Bytes(mem.UsageBytes), mem?.LimitBytes is { } lim ? Bytes(lim) : null,
                mem?.LimitBytes is { } l && l > 0 ? Percent((double)mem.UsageBytes / l, 1) : null,
                mem?.OomKills,
                t.Network is { } n ? $"{Bytes(n.RxBytes)} / {Bytes(n.TxBytes)}" : null,
                t.Disk is { } d ? Bytes(d.SandboxBytes) : null);
        }
        if (tasks.Count == 0) w.WriteLine("no running tasks");
        else tasks.Write(w, width);
        foreach (var e in stats.Errors) w.WriteLine($"agent {e.Host} ({e.AgentId}): {e.Message}");
    }

    /// <summary>"12.5%" of one CPU (or of the memory limit); a host's rate over all its cores, as top's summary line.</summary>
    public static string? Percent(double? fraction, int of) =>
        fraction is { } f ? (f * 100 / Math.Max(1, of)).ToString("0.0", CultureInfo.InvariantCulture) + "%" : null;

    /// <summary>Binary units as `docker stats` prints them: 512B, 3.2KiB, 48.1MiB, 1.5GiB.</summary>
    public static string Bytes(ulong bytes)
    {
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB"];
        double v = bytes;
        var i = 0;
        while (v >= 1024 && i < units.Length - 1) { v /= 1024; i++; }
        return (i == 0 ? v.ToString("0", CultureInfo.InvariantCulture) : v.ToString("0.0", CultureInfo.InvariantCulture)) + units[i];
    }

    /// <summary>CPU time as top's TIME+: 1:02.35 (minutes:seconds), or h:mm:ss past an hour.</summary>
    public static string CpuTime(double seconds)
    {
        var t = TimeSpan.FromSeconds(seconds);
        return t.TotalHours >= 1
            ? $"{(int)t.TotalHours}:{t.Minutes:00}:{t.Seconds:00}"
            : $"{(int)t.TotalMinutes}:{t.Seconds:00}.{t.Milliseconds / 10:00}";
    }

    private static string Num(double v) => v.ToString("0.00", CultureInfo.InvariantCulture);
}
