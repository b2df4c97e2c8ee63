using System.Globalization;
using Drover.Core.Cluster;

namespace Drover.Agent.Ports;

/// <summary>
/// The kernel's ephemeral port range (net.ipv4.ip_local_port_range), from which every outgoing connection takes
/// its local port. Task ports inside it can be taken by any client socket on the host at any moment; Mesos keeps
/// its default agent ports (31000–32000) below it for that reason, and so does Drover. The agent warns when an
/// operator's --ports overlap it; the held-port scan then keeps such ports out of placement.
/// </summary>
public static class EphemeralRange
{
    /// <summary>The range from /proc/sys/net/ipv4/ip_local_port_range, or null when it cannot be read.</summary>
    public static PortRange? Read(string path = "/proc/sys/net/ipv4/ip_local_port_range")
    {
        try
        {
            return Parse(File.ReadAllText(path));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>"32768\t60999" → 32768–60999; null for anything else.</summary>
    public static PortRange? Parse(string text)
    {
        var parts = text.Split([' ', '\t', '\n'], StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length != 2
            || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var begin)
            || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var end)
            || begin > end) return null;
        return new PortRange(begin, end);
    }

    /// <summary>The parts of <paramref name="ranges"/> inside <paramref name="ephemeral"/>, as "a-b" strings.</summary>
    public static IReadOnlyList<string> Overlaps(IReadOnlyList<PortRange> ranges, PortRange ephemeral) =>
        [.. ranges.Where(r => r.Begin <= ephemeral.End && r.End >= ephemeral.Begin)
            .Select(r => $"{Math.Max(r.Begin, ephemeral.Begin)}-{Math.Min(r.End, ephemeral.End)}")];
}
