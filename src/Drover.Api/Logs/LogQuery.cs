using System.Globalization;
using Drover.Core.Json;

namespace Drover.Api.Logs;

/// <summary>
/// The <c>tail</c> and <c>since</c> query parameters of the task log endpoints, parsed the same way by the
/// server (GET /v2/tasks/{id}/logs, which validates before proxying) and by the agent (GET /tasks/{id}/logs).
/// </summary>
public static class LogQuery
{
    /// <summary>Unix timestamps from this value up are milliseconds: as seconds it would be the year 5138.</summary>
    public const long MillisecondsThreshold = 100_000_000_000;

    public const string TailFormats = "a number of lines (0 or more) or 'all'";
    public const string SinceFormats = "an RFC 3339 timestamp (2024-05-01T12:00:00Z), unix seconds or milliseconds, or a duration like 10m";

    /// <summary>
    /// <c>tail</c>: a whole number of lines, 0 or more (0 = none of the history), or "all" (= absent: the whole file).
    /// </summary>
    /// <param name="lines">null when absent or "all".</param>
    public static bool TryParseTail(string? text, out int? lines, out string error)
    {
        lines = null;
        error = "";
        if (text is null || text.Equals("all", StringComparison.OrdinalIgnoreCase)) return true;
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n))
        {
            lines = n;
            return true;
        }
        // Digits only, but too many for an int: more lines than any file has, so the whole file.
        if (text.Length > 0 && text.All(char.IsAsciiDigit)) return true;
        error = $"tail must be {TailFormats}, not '{text}'";
        return false;
    }

    /// <summary>
    /// <c>since</c>: output written at or after this moment. Accepts a Go-style duration before
    /// <paramref name="now"/> ("90s", "10m", "1h30m"), unix seconds ("1714564800", "1714564800.5") or
    /// milliseconds ("1714564800000", from <see cref="MillisecondsThreshold"/> up), or an RFC 3339 /
    /// ISO 8601 timestamp as Marathon writes them ("2024-05-01T12:00:00.000Z", "2024-05-01T14:00:00+02:00";
    /// without an offset it is UTC).
    /// </summary>
    /// <param name="since">null when absent.</param>
    public static bool TryParseSince(string? text, DateTimeOffset now, out DateTimeOffset? since, out string error)
    {
        since = null;
        error = "";
        if (text is null) return true;
        var s = text.Trim();
        if (TryParseUnix(s, out var unix))
        {
            since = unix;
            return true;
        }
        if (s.Length > 0 && char.IsAsciiLetter(s[^1]) && Durations.TryParse(s, out var ago))
        {
            if (ago < TimeSpan.Zero)
            {
                error = $"since must not be a negative duration, got '{text}'";
                return false;
            }
            since = ago > now - DateTimeOffset.MinValue ? DateTimeOffset.MinValue : now - ago;
            return true;
        }
        if (LooksLikeDate(s) && MarathonTime.TryParse(AtMostSevenFractionDigits(s), out var at))
        {
            since = at;
            return true;
        }
        error = $"since must be {SinceFormats}, not '{text}'";
        return false;
    }

    private static bool TryParseUnix(string s, out DateTimeOffset at)
    {
        at = default;
        if (!decimal.TryParse(s, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var n)) return false;
        var ms = n >= MillisecondsThreshold ? n : n * 1000;
        var maxMs = DateTimeOffset.MaxValue.ToUnixTimeMilliseconds();
        at = DateTimeOffset.FromUnixTimeMilliseconds(ms >= maxMs ? maxMs : (long)ms);
        return true;
    }

    // Go and RFC 3339 allow nanoseconds; .NET parses at most 7 fraction digits (100 ns ticks).
    private static string AtMostSevenFractionDigits(string s)
    {
        var dot = s.IndexOf('.', 10);
        if (dot < 0) return s;
        var end = dot + 1;
        while (end < s.Length && char.IsAsciiDigit(s[end])) end++;
        return end - dot - 1 <= 7 ? s : s[..(dot + 8)] + s[end..];
    }

    // DateTimeOffset.TryParse takes much more than timestamps ("5/1", "May 1"): insist on an ISO date first.
    private static bool LooksLikeDate(string s) =>
        s.Length >= 10 && char.IsAsciiDigit(s[0]) && char.IsAsciiDigit(s[1]) && char.IsAsciiDigit(s[2]) && char.IsAsciiDigit(s[3])
        && s[4] == '-' && char.IsAsciiDigit(s[5]) && char.IsAsciiDigit(s[6]) && s[7] == '-' && char.IsAsciiDigit(s[8]) && char.IsAsciiDigit(s[9])
        && (s.Length == 10 || s[10] is 'T' or 't' or ' ');
}
