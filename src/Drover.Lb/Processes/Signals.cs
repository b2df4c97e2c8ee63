using System.Runtime.InteropServices;

namespace Drover.Lb.Processes;

/// <summary>kill(2) for the signals Nginx and keepalived act on, always sent to one PID that Drover started.</summary>
internal static partial class Signals
{
    public const int Hup = 1;
    public const int Quit = 3;
    public const int Kill = 9;
    public const int Term = 15;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int SysKill(int pid, int signal);

    /// <summary>False when the process is already gone.</summary>
    public static bool Send(int pid, int signal) => SysKill(pid, signal) == 0;
}
