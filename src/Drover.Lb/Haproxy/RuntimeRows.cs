using System.Globalization;
using Drover.Lb.Model;

namespace Drover.Lb.Haproxy;

/// <summary>One server as "show servers state" reports it.</summary>
public sealed record ServerStateRow(string Backend, string Name, string Address, int Port, ServerState Admin, int OperationalState, int Weight)
{
    /// <summary>srv_op_state 2: running (checks pass or none).</summary>
    public bool IsUp => OperationalState == 2;
}

/// <summary>One line of "show stat" (a frontend, backend or server), with the columns the lb reads.</summary>
public sealed record StatRow(string Proxy, string Name, string Status, int Weight, long CurrentSessions, long TotalSessions);

/// <summary>Parsers for the runtime API's tabular answers.</summary>
public static class RuntimeRows
{
    // srv_admin_state bits (HAProxy 2.6 server.h): forced/inherited/config/resolution/hostname maintenance, forced/inherited drain.
    private const int MaintBits = 0x01 | 0x02 | 0x04 | 0x20 | 0x40;
    private const int DrainBits = 0x08 | 0x10;

    /// <summary>"show servers state": a version line, a "# name …" header, then space-separated rows.</summary>
    public static IReadOnlyList<ServerStateRow> ParseServersState(string text)
    {
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var header = lines.FirstOrDefault(l => l.StartsWith('#'))?.TrimStart('#').Split(' ', StringSplitOptions.RemoveEmptyEntries)
            ?? throw new FormatException($"no header in 'show servers state' answer: {text.Trim()}");
        int Col(string name) => Array.IndexOf(header, name) is >= 0 and var i ? i : throw new FormatException($"'show servers state' has no column {name}");
        int be = Col("be_name"), srv = Col("srv_name"), addr = Col("srv_addr"), port = Col("srv_port"), op = Col("srv_op_state"), admin = Col("srv_admin_state"), weight = Col("srv_uweight");
        var rows = new List<ServerStateRow>();
        foreach (var line in lines.Where(l => !l.StartsWith('#')))
        {
            var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (f.Length < header.Length) continue; // the version line
            var a = Int(f[admin]);
            var state = (a & MaintBits) != 0 ? ServerState.Maint : (a & DrainBits) != 0 ? ServerState.Drain : ServerState.Ready;
            rows.Add(new ServerStateRow(f[be], f[srv], f[addr], Int(f[port]), state, Int(f[op]), Int(f[weight])));
        }
        return rows;
    }

    /// <summary>"show stat": CSV with a "# pxname,svname,…" header.</summary>
    public static IReadOnlyList<StatRow> ParseStat(string text)
    {
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var header = lines.FirstOrDefault(l => l.StartsWith('#'))?.TrimStart('#', ' ').Split(',')
            ?? throw new FormatException($"no header in 'show stat' answer: {text.Trim()}");
        int Col(string name) => Array.IndexOf(header, name) is >= 0 and var i ? i : throw new FormatException($"'show stat' has no column {name}");
        int px = Col("pxname"), sv = Col("svname"), status = Col("status"), weight = Col("weight"), scur = Col("scur"), stot = Col("stot");
        return [.. lines.Where(l => !l.StartsWith('#')).Select(l => l.Split(','))
            .Where(f => f.Length >= header.Length - 1)
            .Select(f => new StatRow(f[px], f[sv], f[status], Int(f[weight]), Long(f[scur]), Long(f[stot])))];
    }

    private static int Int(string s) => int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : 0;
    private static long Long(string s) => long.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : 0;
}
