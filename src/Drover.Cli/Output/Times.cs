using System.Globalization;
using Drover.Core.Json;

namespace Drover.Cli.Output;

/// <summary>Ages and timestamps for tables: "5s", "3m", "2h", "4d"; versions as "11-29 20:05:24".</summary>
public static class Times
{
    public static string Age(string? timestamp, DateTimeOffset now) =>
        timestamp is not null && MarathonTime.TryParse(timestamp, out var t) ? Span(now - t) : "-";

    public static string Span(TimeSpan d)
    {
        if (d < TimeSpan.Zero) d = TimeSpan.Zero;
        return d.TotalSeconds < 60 ? $"{(int)d.TotalSeconds}s"
            : d.TotalMinutes < 60 ? $"{(int)d.TotalMinutes}m"
            : d.TotalHours < 48 ? $"{(int)d.TotalHours}h"
            : $"{(int)d.TotalDays}d";
    }

    /// <summary>Elapsed time for progress lines: "12.3s", "2m05s".</summary>
    public static string Elapsed(TimeSpan d) =>
        d.TotalSeconds < 60 ? d.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture) + "s" : $"{(int)d.TotalMinutes}m{d.Seconds:00}s";

    /// <summary>A Marathon version timestamp without the year and milliseconds, for narrow tables.</summary>
    public static string CompactVersion(string? version) =>
        version is not null && MarathonTime.TryParse(version, out var t) ? t.UtcDateTime.ToString("MM-dd HH:mm:ss", CultureInfo.InvariantCulture) : version ?? "-";
}
