using System.Globalization;

namespace Drover.Lb.Host;

/// <summary>What a starting lb found in its pid file: an HAProxy master to re-adopt (<see cref="Pid"/>), or why it starts a new one.</summary>
public sealed record AdoptDecision(int? Pid, string Reason)
{
    public bool Adopt => Pid is not null;
}

/// <summary>
/// An HAProxy master left running by an earlier `drover lb` on the same data dir (one that was SIGKILLed: an orderly
/// stop takes HAProxy with it). Keeping the data plane through a control-plane crash is what keeps traffic flowing, so
/// the next lb re-adopts it rather than starting a second one on the same ports. The recorded PID is trusted only when
/// /proc/PID/cmdline is an haproxy started with our master socket and our config: a PID the kernel has reused for
/// something else is left alone.
/// </summary>
public static class LeftoverMaster
{
    public static AdoptDecision Decide(string pidFile, string configPath, string masterSocket)
    {
        if (!File.Exists(pidFile)) return new AdoptDecision(null, "no HAProxy pid recorded");
        var text = File.ReadAllText(pidFile).Trim();
        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var pid) || pid <= 0)
            return new AdoptDecision(null, $"the pid file {pidFile} holds '{text}', not a PID");
        if (!IsAlive(pid)) return new AdoptDecision(null, $"the recorded HAProxy master (pid {pid}) is not running any more");
        var argv = Argv(pid);
        if (argv is null) return new AdoptDecision(null, $"the recorded HAProxy master (pid {pid}) is not running any more");
        if (!IsOurMaster(argv, configPath, masterSocket))
            return new AdoptDecision(null, $"pid {pid} is not our HAProxy ({string.Join(' ', argv)}), leaving it alone");
        if (!File.Exists(masterSocket)) return new AdoptDecision(null, $"HAProxy (pid {pid}) runs but its master socket {masterSocket} is gone");
        return new AdoptDecision(pid, $"HAProxy master (pid {pid}) left running by an earlier lb on this data dir");
    }

    /// <summary>haproxy (any path) with "-S socket" (HAProxy may append ",mode" options) and "-f config".</summary>
    public static bool IsOurMaster(IReadOnlyList<string> argv, string configPath, string masterSocket)
    {
        if (argv.Count == 0 || !Path.GetFileName(argv[0]).Contains("haproxy", StringComparison.Ordinal)) return false;
        bool socket = false, config = false;
        for (var i = 1; i + 1 < argv.Count; i++)
        {
            if (argv[i] == "-S" && argv[i + 1].Split(',')[0] == masterSocket) socket = true;
            if (argv[i] == "-f" && argv[i + 1] == configPath) config = true;
        }
        return socket && config;
    }

    /// <summary>Alive and not a zombie (a zombie's /proc entry stays until its parent reaps it).</summary>
    public static bool IsAlive(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var afterName = stat.LastIndexOf(')');
            return afterName > 0 && afterName + 2 < stat.Length && stat[afterName + 2] is not ('Z' or 'X');
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return false; }
    }

    /// <summary>The process's arguments, or null when it is gone.</summary>
    public static string[]? Argv(int pid)
    {
        try { return File.ReadAllText($"/proc/{pid}/cmdline").Split('\0', StringSplitOptions.RemoveEmptyEntries); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
    }
}
