using System.Globalization;

namespace Drover.Core.Json;

/// <summary>Durations as Go (and so Consul) writes them: "300ms", "1.5h", "2h45m"; units ns us µs ms s m h.</summary>
public static class Durations
{
    /// <param name="bareSeconds">Also accept a plain number as seconds ("30"); Go itself only accepts a bare "0".</param>
    public static bool TryParse(string? s, out TimeSpan value, bool bareSeconds = false)
    {
        value = TimeSpan.Zero;
        if (string.IsNullOrEmpty(s)) return false;
        if (bareSeconds && double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var plain) && double.IsFinite(plain)
            && Math.Abs(plain) < TimeSpan.MaxValue.TotalSeconds)
        {
            value = TimeSpan.FromSeconds(plain);
            return true;
        }
        var i = 0;
        var negative = false;
        if (s[0] is '-' or '+') { negative = s[0] == '-'; i = 1; }
        if (s[i..] == "0") return true;
        if (i >= s.Length) return false;
        double totalTicks = 0;
        while (i < s.Length)
        {
            var start = i;
            while (i < s.Length && (char.IsAsciiDigit(s[i]) || s[i] == '.')) i++;
            if (start == i || !double.TryParse(s.AsSpan(start, i - start), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var n)) return false;
            var unitStart = i;
            while (i < s.Length && !char.IsAsciiDigit(s[i]) && s[i] != '.') i++;
            double ticksPerUnit = s[unitStart..i] switch
            {
                "ns" => 0.01,
                "us" or "µs" or "μs" => 10,
                "ms" => TimeSpan.TicksPerMillisecond,
                "s" => TimeSpan.TicksPerSecond,
                "m" => TimeSpan.TicksPerMinute,
                "h" => TimeSpan.TicksPerHour,
                _ => -1,
            };
            if (ticksPerUnit < 0) return false;
            totalTicks += n * ticksPerUnit;
            if (totalTicks > TimeSpan.MaxValue.Ticks) return false;
        }
        value = TimeSpan.FromTicks((long)(negative ? -totalTicks : totalTicks));
        return true;
    }
}
