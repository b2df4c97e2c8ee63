using Drover.Core.Processes;

namespace Drover.Cli.Commands.Roles;

/// <summary>
/// The PIDs of <c>drover up --ha</c>'s etcd members, in <c>DATA_DIR/etcd/pids</c>, and the stop of members a killed
/// drover left behind. A PID is signalled only when /proc shows it is still etcd with this data dir's member
/// directory (<c>--data-dir DIR/nN</c>): a recycled PID belongs to someone else and is left alone. Two drovers cannot
/// run on one data dir (its lock), so a live member there is a leftover.
/// </summary>
internal static class LocalEtcdLeftovers
{
    private static string File(string dir) => Path.Combine(dir, "pids");

    public static void Record(string dir, IReadOnlyList<int> pids) => System.IO.File.WriteAllLines(File(dir), pids.Select(p => p.ToString()));

    public static void Forget(string dir)
    {
        try { System.IO.File.Delete(File(dir)); }
        catch (IOException) { /* the next start checks each PID anyway */ }
    }

    public static async Task StopAsync(string dir, Action<string>? report, CancellationToken ct)
    {
        if (!System.IO.File.Exists(File(dir))) return;
        var leftovers = new List<int>();
        foreach (var line in await System.IO.File.ReadAllLinesAsync(File(dir), ct))
        {
            if (int.TryParse(line.Trim(), out var pid) && pid > 0 && IsOurMember(pid, dir)) leftovers.Add(pid);
        }
        foreach (var pid in leftovers)
        {
            report?.Invoke($"stopping etcd pid {pid}, left running on {dir} by an earlier drover up --ha that did not stop");
            Signals.Send(pid, Signals.Term);
        }
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        foreach (var pid in leftovers)
        {
            while (IsOurMember(pid, dir) && DateTime.UtcNow < until) await Task.Delay(100, ct);
            if (IsOurMember(pid, dir)) Signals.Send(pid, Signals.Kill);
        }
        Forget(dir);
    }

    /// <summary>True when <paramref name="pid"/> runs etcd with <c>--data-dir DIR/nN</c> (not a zombie).</summary>
    internal static bool IsOurMember(int pid, string dir)
    {
        string[] args;
        try
        {
            if (System.IO.File.ReadAllText($"/proc/{pid}/stat").Split(") ").LastOrDefault()?.StartsWith('Z') == true) return false;
            args = System.IO.File.ReadAllText($"/proc/{pid}/cmdline").Split('\0');
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false; // gone
        }
        if (args.Length == 0 || Path.GetFileName(args[0]) != "etcd") return false;
        var at = Array.IndexOf(args, "--data-dir");
        return at >= 0 && at + 1 < args.Length && Path.GetDirectoryName(args[at + 1]) == dir.TrimEnd('/')
            && Path.GetFileName(args[at + 1]) is ['n', >= '1' and <= '9'];
    }
}
