using System.Globalization;

namespace Drover.Agent.Logs;

/// <summary>Sizes as operators write them: "10MiB", "10m", "512k", "1G" or plain bytes; units are powers of 1024 (as Docker's max-size).</summary>
public static class ByteSizes
{
    public static bool TryParse(string? text, out long bytes)
    {
        bytes = 0;
        if (string.IsNullOrWhiteSpace(text)) return false;
        var s = text.Trim().ToLowerInvariant();
        var digits = 0;
        while (digits < s.Length && char.IsAsciiDigit(s[digits])) digits++;
        if (digits == 0 || !long.TryParse(s.AsSpan(0, digits), NumberStyles.None, CultureInfo.InvariantCulture, out var n)) return false;
        long unit = s[digits..] switch
        {
            "" or "b" => 1,
            "k" or "kb" or "kib" => 1L << 10,
            "m" or "mb" or "mib" => 1L << 20,
            "g" or "gb" or "gib" => 1L << 30,
            _ => 0,
        };
        if (unit == 0 || n > long.MaxValue / unit) return false;
        bytes = n * unit;
        return true;
    }
}
