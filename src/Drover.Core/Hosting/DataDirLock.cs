using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace Drover.Core.Hosting;

/// <summary>
/// Exclusive use of a data directory by one process: an advisory flock(2) on <c>&lt;dir&gt;/drover.lock</c>, which
/// holds the holder's pid. The kernel drops the lock when the file is closed, including when the process dies
/// (SIGKILL too), so there are no stale locks to clean up. Two locks conflict even inside one process.
/// </summary>
/// <remarks>
/// The file is opened with open(2) rather than FileStream: .NET takes its own flock on every file it opens (shared
/// unless FileShare.None), which would make the pid unreadable for a contender and race with our exclusive lock.
/// The file is never deleted: unlinking it would let a third process lock a new file while the old one is held.
/// Linux only (as the rest of the agent).
/// </remarks>
public sealed partial class DataDirLock : IDisposable
{
    public const string FileName = "drover.lock";

    private readonly FileStream _file;

    private DataDirLock(string directory, FileStream file)
    {
        Directory = directory;
        _file = file;
    }

    public string Directory { get; }
    public string LockFile => Path.Combine(Directory, FileName);

    /// <summary>Creates <paramref name="directory"/> if needed and locks it for this process.</summary>
    /// <exception cref="DataDirLockedException">Another process (or another lock in this one) holds it.</exception>
    public static DataDirLock Acquire(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        if (!OperatingSystem.IsLinux()) throw new PlatformNotSupportedException("data directory locks need Linux");
        directory = Path.GetFullPath(directory);
        System.IO.Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, FileName);
        var fd = Retry(() => Open(path, O_RDWR | O_CREAT | O_CLOEXEC, Mode0644));
        if (fd < 0) throw Error("open", path);
        var handle = new SafeFileHandle(fd, ownsHandle: true);
        try
        {
            if (Retry(() => Flock(fd, LOCK_EX | LOCK_NB)) != 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                if (errno == EWOULDBLOCK) throw new DataDirLockedException(directory, ReadPid(handle));
                throw Error("flock", path, errno);
            }
            var file = new FileStream(handle, FileAccess.ReadWrite, bufferSize: 0);
            var pid = Encoding.ASCII.GetBytes(Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + "\n");
            file.SetLength(0);
            file.Write(pid);
            file.Flush();
            return new DataDirLock(directory, file);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The pid written in <paramref name="directory"/>'s lock file (null when there is none). Read without taking a lock,
    /// which File.ReadAllText would do (and fail on a held lock). The pid is that of the last holder: whether it still
    /// holds the lock only <see cref="Acquire"/> can tell.
    /// </summary>
    public static int? ReadHolderPid(string directory)
    {
        var fd = Retry(() => Open(Path.Combine(Path.GetFullPath(directory), FileName), O_RDONLY | O_CLOEXEC, 0));
        if (fd < 0) return null;
        using var handle = new SafeFileHandle(fd, ownsHandle: true);
        return ReadPid(handle);
    }

    /// <summary>The pid in a held lock file, or null while the holder has not written it yet.</summary>
    private static int? ReadPid(SafeFileHandle handle)
    {
        var buffer = new byte[32];
        var n = RandomAccess.Read(handle, buffer, 0);
        var text = Encoding.ASCII.GetString(buffer, 0, n).Trim();
        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && pid > 0 ? pid : null;
    }

    /// <summary>Releases the lock (closing the file is what releases it). Idempotent.</summary>
    public void Dispose() => _file.Dispose();

    private static int Retry(Func<int> call)
    {
        int r;
        do r = call(); while (r < 0 && Marshal.GetLastPInvokeError() == EINTR);
        return r;
    }

    private static IOException Error(string call, string path, int? errno = null)
    {
        var e = errno ?? Marshal.GetLastPInvokeError();
        return new IOException($"{call}({path}) failed: {Marshal.GetPInvokeErrorMessage(e)} (errno {e})");
    }

    // Linux values (the same on x86-64 and arm64)
    private const int O_RDONLY = 0x0;
    private const int O_RDWR = 0x2;
    private const int O_CREAT = 0x40;
    private const int O_CLOEXEC = 0x80000;
    private const int Mode0644 = 0x1A4;
    private const int LOCK_EX = 2;
    private const int LOCK_NB = 4;
    private const int EINTR = 4;
    private const int EWOULDBLOCK = 11;

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags, int mode);

    [LibraryImport("libc", EntryPoint = "flock", SetLastError = true)]
    private static partial int Flock(int fd, int operation);
}
