using System.Runtime.InteropServices;

namespace Drover.IntegrationTests.Harness;

/// <summary>Linux signal numbers (x86-64 / arm64).</summary>
public enum UnixSignal
{
    Hup = 1,
    Int = 2,
    Kill = 9,
    Term = 15,
    Cont = 18,
    Stop = 19,
}

internal static class Libc
{
    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int sig);

    /// <summary>Sends a signal to one process id. Returns false if the process does not exist.</summary>
    public static bool Kill(int pid, UnixSignal signal)
    {
        if (pid <= 0) throw new ArgumentOutOfRangeException(nameof(pid), pid, "refusing to signal a process group or every process");
        if (kill(pid, (int)signal) == 0) return true;
        var errno = Marshal.GetLastPInvokeError();
        const int ESRCH = 3;
        if (errno == ESRCH) return false;
        throw new InvalidOperationException($"kill({pid}, {signal}) failed: errno {errno}");
    }
}
