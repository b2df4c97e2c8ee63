using System.Runtime.InteropServices;

namespace Drover.Agent.Drivers;

/// <summary>
/// posix_spawn with a new session, default signal dispositions, an empty signal mask and stdio opened
/// straight onto files: unlike Process.Start, the child inherits nothing of the agent (the runtime
/// ignores SIGPIPE, and that would leak into every task) and never holds the agent's stdout.
/// The caller owns the child and must reap it with <see cref="TryWait"/>.
/// </summary>
public static unsafe partial class PosixSpawn
{
    private const short POSIX_SPAWN_SETSIGDEF = 0x04;
    private const short POSIX_SPAWN_SETSIGMASK = 0x08;
    private const short POSIX_SPAWN_SETSID = 0x80;
    private const int O_RDONLY = 0, O_WRONLY = 1, O_CREAT = 0x40, O_APPEND = 0x400;
    private const int WNOHANG = 1;
    private const int ECHILD = 10;
    // Generous sizes for glibc/musl's opaque structs (posix_spawnattr_t is 336 bytes, sigset_t 128, file actions 80).
    private const int OpaqueSize = 1024;

    [LibraryImport("libc", EntryPoint = "posix_spawn")]
    private static partial int Spawn(out int pid, byte* path, void* fileActions, void* attr, byte** argv, byte** envp);

    [LibraryImport("libc", EntryPoint = "posix_spawn_file_actions_init")]
    private static partial int FileActionsInit(void* fa);

    [LibraryImport("libc", EntryPoint = "posix_spawn_file_actions_addopen")]
    private static partial int FileActionsAddOpen(void* fa, int fd, byte* path, int flags, uint mode);

    [LibraryImport("libc", EntryPoint = "posix_spawn_file_actions_destroy")]
    private static partial int FileActionsDestroy(void* fa);

    [LibraryImport("libc", EntryPoint = "posix_spawnattr_init")]
    private static partial int AttrInit(void* attr);

    [LibraryImport("libc", EntryPoint = "posix_spawnattr_setflags")]
    private static partial int AttrSetFlags(void* attr, short flags);

    [LibraryImport("libc", EntryPoint = "posix_spawnattr_setsigdefault")]
    private static partial int AttrSetSigDefault(void* attr, void* sigset);

    [LibraryImport("libc", EntryPoint = "posix_spawnattr_setsigmask")]
    private static partial int AttrSetSigMask(void* attr, void* sigset);

    [LibraryImport("libc", EntryPoint = "posix_spawnattr_destroy")]
    private static partial int AttrDestroy(void* attr);

    [LibraryImport("libc", EntryPoint = "sigfillset")]
    private static partial int SigFillSet(void* set);

    [LibraryImport("libc", EntryPoint = "sigemptyset")]
    private static partial int SigEmptySet(void* set);

    [LibraryImport("libc", EntryPoint = "sigdelset")]
    private static partial int SigDelSet(void* set, int signal);

    [LibraryImport("libc", EntryPoint = "waitpid", SetLastError = true)]
    private static partial int WaitPid(int pid, out int status, int options);

    /// <summary>Starts <paramref name="path"/> as the leader of a new session; stdin from /dev/null, stdout/stderr appended to the given files.</summary>
    public static int Start(string path, IReadOnlyList<string> argv, IReadOnlyDictionary<string, string> env, string stdoutPath, string stderrPath)
    {
        var allocations = new List<IntPtr>();
        byte* Utf8(string s)
        {
            var bytes = System.Text.Encoding.UTF8.GetBytes(s);
            var p = (byte*)NativeMemory.AllocZeroed((nuint)bytes.Length + 1);
            allocations.Add((IntPtr)p);
            bytes.CopyTo(new Span<byte>(p, bytes.Length));
            return p;
        }
        byte** Array(IEnumerable<string> items)
        {
            var list = items.ToList();
            var arr = (byte**)NativeMemory.AllocZeroed((nuint)(list.Count + 1), (nuint)sizeof(byte*));
            allocations.Add((IntPtr)arr);
            for (var i = 0; i < list.Count; i++) arr[i] = Utf8(list[i]);
            return arr;
        }

        var fa = NativeMemory.AllocZeroed(OpaqueSize);
        var attr = NativeMemory.AllocZeroed(OpaqueSize);
        var defaults = NativeMemory.AllocZeroed(OpaqueSize);
        var mask = NativeMemory.AllocZeroed(OpaqueSize);
        try
        {
            Check(FileActionsInit(fa), "posix_spawn_file_actions_init");
            Check(AttrInit(attr), "posix_spawnattr_init");
            try
            {
                Check(FileActionsAddOpen(fa, 0, Utf8("/dev/null"), O_RDONLY, 0), "addopen stdin");
                Check(FileActionsAddOpen(fa, 1, Utf8(stdoutPath), O_WRONLY | O_CREAT | O_APPEND, 0x1A4 /* 0644 */), "addopen stdout");
                Check(FileActionsAddOpen(fa, 2, Utf8(stderrPath), O_WRONLY | O_CREAT | O_APPEND, 0x1A4), "addopen stderr");
                SigFillSet(defaults);
                SigDelSet(defaults, Posix.SIGKILL);
                SigDelSet(defaults, 19 /* SIGSTOP */);
                SigEmptySet(mask);
                Check(AttrSetSigDefault(attr, defaults), "setsigdefault");
                Check(AttrSetSigMask(attr, mask), "setsigmask");
                Check(AttrSetFlags(attr, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK), "setflags");
                var envp = Array(env.Select(kv => $"{kv.Key}={kv.Value}"));
                var args = Array(argv);
                var error = Spawn(out var pid, Utf8(path), fa, attr, args, envp);
                if (error != 0) throw new IOException($"posix_spawn {path}: {Marshal.GetPInvokeErrorMessage(error)} (errno {error})");
                return pid;
            }
            finally
            {
                FileActionsDestroy(fa);
                AttrDestroy(attr);
            }
        }
        finally
        {
            NativeMemory.Free(fa);
            NativeMemory.Free(attr);
            NativeMemory.Free(defaults);
            NativeMemory.Free(mask);
            foreach (var p in allocations) NativeMemory.Free((void*)p);
        }
    }

    /// <summary>Outcome of <see cref="TryWait"/>.</summary>
    public enum WaitResult { Running, Exited, NotOurChild }

    /// <summary>Reaps <paramref name="pid"/> if it has ended; <paramref name="shellStatus"/> is its status in shell terms (128+N for signal N).</summary>
    public static WaitResult TryWait(int pid, out int shellStatus)
    {
        shellStatus = 0;
        var r = WaitPid(pid, out var status, WNOHANG);
        if (r == 0) return WaitResult.Running;
        if (r < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            if (errno == ECHILD) return WaitResult.NotOurChild;
            throw new IOException($"waitpid({pid}) failed: errno {errno}");
        }
        var termSig = status & 0x7f;
        shellStatus = termSig == 0 ? (status >> 8) & 0xff : 128 + termSig;
        return WaitResult.Exited;
    }

    private static void Check(int error, string what)
    {
        if (error != 0) throw new IOException($"{what} failed: errno {error}");
    }
}
