using System.Globalization;

namespace Drover.Core.Json;

/// <summary>Marathon's timestamp format: UTC, exactly three fraction digits, literal Z (python3-marathon rejects anything else).</summary>
public static class MarathonTime
{
    public const string Format = "yyyy-MM-dd'T'HH:mm:ss.fff'Z'";

    public static string ToWire(DateTimeOffset t) => t.UtcDateTime.ToString(Format, CultureInfo.InvariantCulture);

    public static bool TryParse(string? s, out DateTimeOffset value) =>
        DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out value);

    public static DateTimeOffset Parse(string s) =>
        TryParse(s, out var v) ? v : throw new FormatException($"'{s}' is not an ISO-8601 timestamp");
}
