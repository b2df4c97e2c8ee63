using Drover.Core.Json;

namespace Drover.Core.Apps;

/// <summary>
/// New app versions. A version is the time of the change, but it must rise strictly above the versions it follows:
/// two writes in one millisecond (an update and its immediate revert) would otherwise share a version key, and the
/// second would overwrite the first's stored definition.
/// </summary>
public static class VersionStamps
{
    public static string Next(DateTimeOffset now, IEnumerable<string?> after)
    {
        // compare what the wire keeps: .7594 is written as .759, so it does not come after a previous .759
        now = new DateTimeOffset(now.UtcTicks - now.UtcTicks % TimeSpan.TicksPerMillisecond, TimeSpan.Zero);
        foreach (var v in after)
        {
            if (MarathonTime.TryParse(v, out var prev) && now <= prev) now = prev.AddMilliseconds(1);
        }
        return MarathonTime.ToWire(now);
    }
}
