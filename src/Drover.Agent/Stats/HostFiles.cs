using System.Globalization;
using Drover.Api.Stats;

namespace Drover.Agent.Stats;

/// <summary>Parsers for the host's /proc files. Malformed content gives null figures rather than an exception.</summary>
public static class HostFiles
{
    /// <summary>The first "cpu" line of /proc/stat: busy and total jiffies (idle and iowait are not busy), or null.</summary>
    public static (ulong Busy, ulong Total)? ParseCpuLine(string procStat)
    {
        foreach (var line in procStat.Split('\n'))
        {
            if (!line.StartsWith("cpu ", StringComparison.Ordinal)) continue;
            var fields = line[4..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length < 4) return null;
            ulong total = 0, idle = 0;
            // user nice system idle iowait irq softirq steal (guest is already in user)
            for (var i = 0; i < Math.Min(fields.Length, 8); i++)
            {
                if (!ulong.TryParse(fields[i], NumberStyles.None, CultureInfo.InvariantCulture, out var v)) return null;
                total += v;
                if (i is 3 or 4) idle += v;
            }
            return (total - idle, total);
        }
        return null;
    }

    /// <summary>/proc/meminfo: MemTotal and MemAvailable (kB in the file), or null when either is missing.</summary>
    public static HostMemoryStats? ParseMeminfo(string text)
    {
        ulong? total = null, available = null;
        foreach (var line in text.Split('\n'))
        {
            var colon = line.IndexOf(':');
            if (colon <= 0) continue;
            var value = line[(colon + 1)..].Trim();
            if (value.EndsWith(" kB", StringComparison.Ordinal)) value = value[..^3];
            if (!ulong.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var kb)) continue;
            switch (line[..colon])
            {
                case "MemTotal": total = kb * 1024; break;
                case "MemAvailable": available = kb * 1024; break;
            }
        }
        if (total is not { } t || available is not { } a) return null;
        return new HostMemoryStats { TotalBytes = t, AvailableBytes = a, UsedBytes = t > a ? t - a : 0 };
    }

    /// <summary>/proc/loadavg: "0.52 0.58 0.59 1/467 12345", or null.</summary>
    public static LoadAverage? ParseLoadavg(string text)
    {
        var f = text.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (f.Length < 3) return null;
        return double.TryParse(f[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var one)
               && double.TryParse(f[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var five)
               && double.TryParse(f[2], NumberStyles.Float, CultureInfo.InvariantCulture, out var fifteen)
            ? new LoadAverage(one, five, fifteen)
            : null;
    }
}
