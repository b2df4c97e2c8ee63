using System.Globalization;

namespace Drover.Agent.Ports;

/// <summary>
/// The local ports that sockets of this network namespace hold, read from /proc/net/{tcp,tcp6,udp,udp6}: every
/// TCP socket but those in TIME_WAIT, and every bound UDP socket. A connected socket counts: a client's outgoing
/// connection holds its local port, and a task's bind() on that port fails even with SO_REUSEADDR, which is what
/// happens when an agent's port range overlaps the kernel's ephemeral range (ip_local_port_range). TIME_WAIT does
/// not count: SO_REUSEADDR binds past it and the kernel clears it by itself. Reading four small files costs well
/// under a millisecond, so the agent does it before each launch and with each heartbeat instead of keeping a watch.
/// </summary>
public static class ListeningPorts
{
    private const string TcpTimeWait = "06";

    /// <summary>Ports held in the namespace of this process (directory <paramref name="procNet"/>, /proc/net by default).</summary>
    public static HashSet<int> Read(string procNet = "/proc/net")
    {
        var ports = new HashSet<int>();
        foreach (var (file, tcp) in new[] { ("tcp", true), ("tcp6", true), ("udp", false), ("udp6", false) })
        {
            string text;
            try { text = File.ReadAllText(Path.Combine(procNet, file)); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { continue; } // no IPv6, say
            Parse(text, tcp, ports);
        }
        return ports;
    }

    /// <summary>
    /// Adds the held local ports of one /proc/net table to <paramref name="into"/>. A row reads
    /// "sl local_address rem_address st …" with the address as HEXIP:HEXPORT; malformed rows are skipped.
    /// </summary>
    public static void Parse(string table, bool tcp, ISet<int> into)
    {
        foreach (var line in table.Split('\n'))
        {
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length < 4 || !fields[0].EndsWith(':')) continue; // the header row, or junk
            if (tcp && fields[3] == TcpTimeWait) continue;
            var colon = fields[1].LastIndexOf(':');
            if (colon < 0) continue;
            if (int.TryParse(fields[1].AsSpan(colon + 1), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var port) && port > 0)
                into.Add(port);
        }
    }

    /// <summary>"port 31005 is held by another program" (or "ports 31005, 31006 are held by other programs").</summary>
    public static string DescribeHeld(IReadOnlyList<int> held) =>
        held.Count == 1 ? $"port {held[0]} is held by another program"
        : $"ports {string.Join(", ", held)} are held by other programs";
}
