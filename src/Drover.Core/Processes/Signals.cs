using System.Runtime.InteropServices;

namespace Drover.Core.Processes;

/// <summary>
/// kill(2), the one P/Invoke the agent (tasks' process groups) and the lb (Nginx, keepalived, HAProxy) share. Always
/// aimed at a PID or process group Drover started or read from its own pid file, never at a process name.
/// </summary>
public static partial class Signals
{
    public const int Hup = 1;
    public const int Quit = 3;
    public const int Kill = 9;
    public const int Term = 15;
    private const int ESRCH = 3;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int SysKill(int pid, int signal);

    /// <summary>
    /// Sends <paramref name="signal"/> to <paramref name="target"/> (a PID, or -PGID for a process group); false when
    /// it is gone. Any other failure (EPERM) is an error the caller must hear about.
    /// </summary>
    public static bool Send(int target, int signal)
    {
        if (SysKill(target, signal) == 0) return true;
        var errno = Marshal.GetLastPInvokeError();
        if (errno == ESRCH) return false;
        throw new IOException($"kill({target}, {signal}) failed: errno {errno} ({Marshal.GetPInvokeErrorMessage(errno)})");
    }
}
