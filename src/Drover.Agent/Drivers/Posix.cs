using System.Globalization;
using Drover.Core.Processes;

namespace Drover.Agent.Drivers;

/// <summary>The signal guards and /proc reads the process driver needs (kill(2) itself is Drover.Core's <see cref="Signals"/>).</summary>
public static class Posix
{
    public const int SIGKILL = Signals.Kill;
    public const int SIGTERM = Signals.Term;

    /// <summary>Sends <paramref name="signal"/> to process group <paramref name="pgid"/>; false when the group is gone.</summary>
    public static bool KillGroup(int pgid, int signal)
    {
        if (pgid <= 1) throw new ArgumentOutOfRangeException(nameof(pgid), pgid, "refusing to signal a process group <= 1");
        return Send(-pgid, signal);
    }

    /// <summary>Sends <paramref name="signal"/> to one process; false when it is gone.</summary>
    public static bool KillProcess(int pid, int signal)
    {
        if (pid <= 1) throw new ArgumentOutOfRangeException(nameof(pid), pid, "refusing to signal pid <= 1");
        return Send(pid, signal);
    }

    private static bool Send(int target, int signal) => Signals.Send(target, signal);

    /// <summary>What /proc/&lt;pid&gt;/stat says about a process.</summary>
    /// <param name="UserTicks">utime, in USER_HZ ticks.</param>
    /// <param name="SystemTicks">stime, in USER_HZ ticks.</param>
    /// <param name="RssPages">Resident set size, in pages.</param>
    public readonly record struct ProcStat(int Pid, char State, int ParentPid, int ProcessGroup, int Session, ulong StartTime,
        ulong UserTicks = 0, ulong SystemTicks = 0, ulong RssPages = 0)
    {
        /// <summary>Zombies and dead entries have exited; only their parent has not collected them yet.</summary>
        public bool HasExited => State is 'Z' or 'X' or 'x';
    }

    /// <summary>Reads /proc/&lt;pid&gt;/stat; null when the process does not exist.</summary>
    public static ProcStat? ReadStat(int pid)
    {
        string text;
        try { text = File.ReadAllText($"/proc/{pid}/stat"); }
        catch (FileNotFoundException) { return null; }
        catch (DirectoryNotFoundException) { return null; }
        catch (IOException) { return null; } // ESRCH while the entry vanishes
        return ParseStat(text);
    }

    /// <summary>Parses the stat line; the command name may hold spaces and parentheses, so fields count from the last ')'.</summary>
    public static ProcStat? ParseStat(string text)
    {
        var close = text.LastIndexOf(')');
        var open = text.IndexOf('(');
        if (close < 0 || open <= 0) return null;
        var rest = text[(close + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        // rest[0] is field 3 (state); field N is rest[N - 3].
        if (rest.Length < 20) return null;
        if (!int.TryParse(text.AsSpan(0, open).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)
            || !int.TryParse(rest[1], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var ppid)
            || !int.TryParse(rest[2], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var pgrp)
            || !int.TryParse(rest[3], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var session)
            || !ulong.TryParse(rest[19], NumberStyles.None, CultureInfo.InvariantCulture, out var start))
            return null;
        // utime (14), stime (15), rss (24): figures for tasks without a cgroup; a field that does not parse reads as 0
        return new ProcStat(pid, rest[0][0], ppid, pgrp, session, start, Field(rest, 14), Field(rest, 15), Field(rest, 24));
    }

    private static ulong Field(string[] rest, int field) =>
        rest.Length > field - 3 && ulong.TryParse(rest[field - 3], NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : 0;

    /// <summary>Direct children of <paramref name="pid"/> (from /proc/&lt;pid&gt;/task/&lt;pid&gt;/children, else by scanning /proc).</summary>
    public static IReadOnlyList<int> ReadChildren(int pid)
    {
        try
        {
            return [.. File.ReadAllText($"/proc/{pid}/task/{pid}/children")
                .Split(' ', StringSplitOptions.RemoveEmptyEntries)
                .Select(p => int.Parse(p, CultureInfo.InvariantCulture))];
        }
        catch (FileNotFoundException) { }
        catch (DirectoryNotFoundException) { return []; }
        catch (IOException) { return []; }
        var children = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var p)
                && ReadStat(p) is { } s && s.ParentPid == pid)
                children.Add(p);
        }
        return children;
    }

    /// <summary>The raw argv of a process (NUL-separated), or null when it is gone.</summary>
    public static byte[]? ReadCmdline(int pid)
    {
        try { return File.ReadAllBytes($"/proc/{pid}/cmdline"); }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }

    /// <summary>True when <paramref name="pid"/> still is the process that started at <paramref name="startTime"/> and has not exited.</summary>
    public static bool IsAlive(int pid, ulong startTime) =>
        ReadStat(pid) is { } s && s.StartTime == startTime && !s.HasExited;
}
