namespace Drover.IntegrationTests.Harness.Netns;

/// <summary>Runs iproute2's <c>ip</c> (and a few friends) with a timeout; a failure throws with the command and its stderr.</summary>
internal static class IpCommand
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    public static string IpPath { get; } = File.Exists("/usr/sbin/ip") ? "/usr/sbin/ip" : File.Exists("/sbin/ip") ? "/sbin/ip" : "ip";

    /// <summary>Whether network namespaces can be made here (root, iproute2): tests that need them fail with this reason otherwise.</summary>
    public static string? Unavailable()
    {
        if (NetnsNative.geteuid() != 0)
            return "network-namespace hosts need root (ip netns add)";
        if (!File.Exists(IpPath)) return "network-namespace hosts need iproute2 (apt-get install iproute2)";
        return null;
    }

    public static async Task<string> RunAsync(params string[] args)
    {
        var r = await ProcessRunner.RunAsync(IpPath, args, Timeout);
        if (!r.Succeeded) throw new InvalidOperationException($"ip {string.Join(' ', args)} failed: {r.Stderr.Trim()}{(r.TimedOut ? " (timed out)" : "")}");
        return r.Stdout;
    }

    /// <summary>Same, but a failure is only returned (cleanup paths must go on).</summary>
    public static async Task<ProcessResult> TryRunAsync(params string[] args) => await ProcessRunner.RunAsync(IpPath, args, Timeout);

    /// <summary>Synchronous variant for process-exit cleanup, where no async work can be awaited.</summary>
    public static void RunBlocking(params string[] args)
    {
        try
        {
            using var p = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo(IpPath, args)
            {
                RedirectStandardError = true,
                RedirectStandardOutput = true,
                UseShellExecute = false,
            });
            p?.WaitForExit(10_000);
        }
        catch (Exception)
        {
            // best effort: the next run removes what is left
        }
    }

    /// <summary>Names of every network namespace on the machine.</summary>
    public static IReadOnlyList<string> ListNamespaces()
    {
        const string dir = "/var/run/netns";
        if (!Directory.Exists(dir)) return [];
        return Directory.GetFiles(dir).Select(Path.GetFileName).OfType<string>().ToList();
    }

    /// <summary>PIDs of the processes inside a namespace (<c>ip netns pids</c>).</summary>
    public static IReadOnlyList<int> PidsIn(string ns)
    {
        try
        {
            using var p = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo(IpPath, ["netns", "pids", ns])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            })!;
            var text = p.StandardOutput.ReadToEnd();
            p.WaitForExit(10_000);
            return text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(s => int.TryParse(s, out var pid) ? pid : 0).Where(pid => pid > 1).ToList();
        }
        catch (Exception)
        {
            return [];
        }
    }
}
