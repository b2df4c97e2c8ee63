using System.Globalization;
using Drover.Core.Resources;
using Microsoft.Extensions.Logging;

namespace Drover.Agent.Cgroups;

/// <summary>Resource usage of one task, read from its cgroup or Docker's stats; a null figure was not available.</summary>
public sealed record TaskResourceUsage
{
    public required DateTimeOffset Timestamp { get; init; }
    /// <summary>cgroup-v1, cgroup-v2, docker or proc.</summary>
    public string Source { get; init; } = "cgroup";
    /// <summary>Total CPU time consumed, in nanoseconds.</summary>
    public ulong CpuUsageNanos { get; init; }
    public ulong? CpuUserNanos { get; init; }
    public ulong? CpuSystemNanos { get; init; }
    public ulong? CpuPeriods { get; init; }
    public ulong? CpuThrottledPeriods { get; init; }
    public ulong? CpuThrottledNanos { get; init; }
    /// <summary>What the memory figure of /metrics shows: the kernel's charge (cgroups), or usage less cache (Docker, as `docker stats`).</summary>
    public ulong MemoryBytes { get; init; }
    public ulong? MemoryRssBytes { get; init; }
    public ulong? MemoryCacheBytes { get; init; }
    public ulong? MemoryLimitBytes { get; init; }
    public long? OomKills { get; init; }
    public ulong? NetworkRxBytes { get; init; }
    public ulong? NetworkTxBytes { get; init; }
    public ulong? NetworkRxPackets { get; init; }
    public ulong? NetworkTxPackets { get; init; }
}

/// <summary>The cgroup of one task (one directory per hierarchy on v1, one on v2).</summary>
public sealed class TaskCgroup
{
    internal TaskCgroup(CgroupVersion version, IReadOnlyList<string> directories, string? memoryDir, string? cpuAcctDir, string? cpuDir = null)
    {
        Version = version;
        Directories = directories;
        MemoryDir = memoryDir;
        CpuAcctDir = cpuAcctDir;
        CpuDir = cpuDir;
    }

    public CgroupVersion Version { get; }
    /// <summary>Every directory the task joins (each gets its pid written to cgroup.procs).</summary>
    public IReadOnlyList<string> Directories { get; }
    internal string? MemoryDir { get; }
    internal string? CpuAcctDir { get; }
    /// <summary>v1's cpu hierarchy (cpu.stat: throttling); the same directory as the others on v2.</summary>
    internal string? CpuDir { get; }

    public IEnumerable<string> ProcsFiles => Directories.Select(d => Path.Combine(d, "cgroup.procs"));

    /// <summary>Pids currently in the group (used to kill processes that left the task's process group).</summary>
    public IReadOnlyList<int> ReadPids()
    {
        var pids = new HashSet<int>();
        foreach (var file in ProcsFiles)
        {
            try
            {
                foreach (var line in File.ReadLines(file))
                    if (int.TryParse(line, out var pid)) pids.Add(pid);
            }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
        return [.. pids];
    }
}

public enum CgroupVersion { None, V1, V2 }

/// <summary>
/// Creates per-task cgroups with cpu and memory limits on cgroup v1 (one hierarchy per controller)
/// or v2 (unified). When the host does not allow it, logs one warning and every call is a no-op.
/// Cpu is a weight unless <see cref="CpuLimits.Hard"/> (see there why); memory is always a hard limit
/// without swap, so a task that outgrows it is OOM-killed, and <see cref="ReadOomKills"/> says so afterwards.
/// </summary>
public sealed class CgroupManager
{

    private readonly ILogger _log;
    private readonly string _mountRoot;
    private readonly string _parent;
    private readonly object _gate = new();
    private bool _warned;

    public CgroupManager(bool enabled, string parent, ILogger log, string mountRoot = "/sys/fs/cgroup")
    {
        _log = log;
        _mountRoot = mountRoot;
        _parent = parent;
        Version = enabled ? Detect(mountRoot) : CgroupVersion.None;
        if (enabled && Version == CgroupVersion.None)
            WarnOnce($"no usable cgroup v1 (cpu, memory) or v2 (cpu+memory controllers) hierarchy under {mountRoot}");
    }

    public CgroupVersion Version { get; private set; }
    public bool Enabled => Version != CgroupVersion.None;

    public static CgroupVersion Detect(string mountRoot = "/sys/fs/cgroup")
    {
        try
        {
            var controllersFile = Path.Combine(mountRoot, "cgroup.controllers");
            if (File.Exists(controllersFile))
            {
                var controllers = File.ReadAllText(controllersFile).Split(' ', '\n', StringSplitOptions.RemoveEmptyEntries);
                return controllers.Contains("cpu") && controllers.Contains("memory") ? CgroupVersion.V2 : CgroupVersion.None;
            }
            if (File.Exists(Path.Combine(mountRoot, "memory", "memory.limit_in_bytes"))
                && File.Exists(Path.Combine(mountRoot, "cpu", "cpu.cfs_quota_us")))
                return CgroupVersion.V1;
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return CgroupVersion.None;
    }

    /// <summary>Creates the task's group with its limits; null (after one warning) when that is not possible.</summary>
    public TaskCgroup? Create(string taskId, CpuLimits cpu, double memMb)
    {
        if (!Enabled) return null;
        try
        {
            return Version == CgroupVersion.V1 ? CreateV1(taskId, cpu, memMb) : CreateV2(taskId, cpu, memMb);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            if (Open(taskId) is { } partial) Remove(partial, logFailure: false);
            WarnOnce($"cannot create cgroups ({e.Message}); tasks run without cpu/memory limits");
            lock (_gate) Version = CgroupVersion.None;
            return null;
        }
    }

    /// <summary>Finds the group of a task created by an earlier agent run, if it still exists.</summary>
    public TaskCgroup? Open(string taskId)
    {
        if (!Enabled) return null;
        return Version == CgroupVersion.V1 ? OpenV1(taskId, create: false) : OpenV2(taskId, create: false);
    }

    /// <summary>Removes the task's directories (they must be empty of processes). Returns false if some remain.</summary>
    public bool Remove(TaskCgroup group, bool logFailure = true)
    {
        var ok = true;
        foreach (var dir in group.Directories.Reverse())
        {
            try { if (Directory.Exists(dir)) Directory.Delete(dir); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                ok = false;
                if (logFailure) _log.CgroupRemoveFailed(dir, e.Message);
            }
        }
        return ok;
    }

    /// <summary>
    /// How many processes of the group the kernel's OOM killer has killed: <c>oom_kill</c> in v1's
    /// memory.oom_control (kernel 4.13+) or v2's memory.events. Null when the group has no such counter.
    /// Read it before <see cref="Remove"/>: the counter goes with the directory.
    /// </summary>
    public static long? ReadOomKills(TaskCgroup group) =>
        group.MemoryDir is not { } dir ? null
        : group.Version == CgroupVersion.V1 ? CgroupFiles.ReadV1(null, null, dir, default).OomKills
        : CgroupFiles.ReadV2(dir, default).OomKills;

    public TaskResourceUsage? ReadUsage(TaskCgroup group, DateTimeOffset now) => group.Version switch
    {
        CgroupVersion.V1 => CgroupFiles.ReadV1(group.CpuAcctDir, group.CpuDir, group.MemoryDir, now),
        CgroupVersion.V2 => CgroupFiles.ReadV2(group.Directories[0], now),
        _ => null,
    };

    private TaskCgroup CreateV1(string taskId, CpuLimits cpu, double memMb)
    {
        var group = OpenV1(taskId, create: true)!;
        if (memMb > 0)
        {
            var bytes = Text(MemBytes(memMb));
            File.WriteAllText(Path.Combine(group.MemoryDir!, "memory.limit_in_bytes"), bytes);
            // memory+swap = memory: the limit is not quietly extended into swap (where the host has swap accounting).
            var memsw = Path.Combine(group.MemoryDir!, "memory.memsw.limit_in_bytes");
            if (File.Exists(memsw)) File.WriteAllText(memsw, bytes);
        }
        var cpuDir = group.Directories.First(d => File.Exists(Path.Combine(d, "cpu.cfs_quota_us")));
        if (cpu.Any)
        {
            File.WriteAllText(Path.Combine(cpuDir, "cpu.shares"), Text(cpu.Shares));
            File.WriteAllText(Path.Combine(cpuDir, "cpu.cfs_period_us"), Text(CpuLimits.PeriodMicros));
            // -1 = no quota; written explicitly so a group left over from an earlier run cannot keep an old cap.
            File.WriteAllText(Path.Combine(cpuDir, "cpu.cfs_quota_us"), Text(cpu.QuotaMicros ?? -1));
        }
        return group;
    }

    private TaskCgroup? OpenV1(string taskId, bool create)
    {
        // cpu and cpuacct are often one hierarchy mounted twice (cpu,cpuacct); join each real directory once.
        var dirs = new List<string>();
        string? memoryDir = null, cpuAcctDir = null, cpuDir = null;
        foreach (var controller in new[] { "memory", "cpu", "cpuacct" })
        {
            var hierarchy = Path.Combine(_mountRoot, controller);
            if (!Directory.Exists(hierarchy)) continue;
            var dir = Path.Combine(hierarchy, ParentWithin(controller).TrimStart('/'), taskId);
            if (create) Directory.CreateDirectory(dir);
            else if (!Directory.Exists(dir)) continue;
            var real = ResolveReal(dir);
            if (!dirs.Contains(real)) dirs.Add(real);
            if (controller == "memory") memoryDir = real;
            if (controller == "cpu") cpuDir = real;
            if (controller == "cpuacct" || (controller == "cpu" && File.Exists(Path.Combine(real, "cpuacct.usage")))) cpuAcctDir = real;
        }
        return dirs.Count == 0 ? null : new TaskCgroup(CgroupVersion.V1, dirs, memoryDir, cpuAcctDir, cpuDir);
    }

    private TaskCgroup CreateV2(string taskId, CpuLimits cpu, double memMb)
    {
        var parentDir = Path.Combine(_mountRoot, ParentWithin("").TrimStart('/'));
        Directory.CreateDirectory(parentDir);
        // Controllers must be enabled on every level from the root down to the parent of the task group.
        var root = Path.GetFullPath(_mountRoot);
        var chain = new List<string>();
        for (var d = Path.GetFullPath(parentDir); d.Length >= root.Length; d = Path.GetDirectoryName(d)!)
        {
            chain.Add(d);
            if (d == root) break;
        }
        chain.Reverse();
        foreach (var level in chain) EnableControllers(level);
        var group = OpenV2(taskId, create: true)!;
        var dir = group.Directories[0];
        if (memMb > 0)
        {
            File.WriteAllText(Path.Combine(dir, "memory.max"), Text(MemBytes(memMb)));
            var swap = Path.Combine(dir, "memory.swap.max");
            if (File.Exists(swap)) File.WriteAllText(swap, "0");
        }
        if (cpu.Any)
        {
            File.WriteAllText(Path.Combine(dir, "cpu.weight"), Text(cpu.Weight));
            File.WriteAllText(Path.Combine(dir, "cpu.max"), cpu.QuotaMicros is { } quota ? $"{Text(quota)} {Text(CpuLimits.PeriodMicros)}" : $"max {Text(CpuLimits.PeriodMicros)}");
        }
        return group;
    }

    private TaskCgroup? OpenV2(string taskId, bool create)
    {
        var dir = Path.Combine(_mountRoot, ParentWithin("").TrimStart('/'), taskId);
        if (create) Directory.CreateDirectory(dir);
        else if (!Directory.Exists(dir)) return null;
        return new TaskCgroup(CgroupVersion.V2, [dir], dir, dir, dir);
    }

    private static void EnableControllers(string dir)
    {
        var subtree = Path.Combine(dir, "cgroup.subtree_control");
        var enabled = File.ReadAllText(subtree).Split(' ', '\n', StringSplitOptions.RemoveEmptyEntries);
        if (enabled.Contains("cpu") && enabled.Contains("memory")) return;
        File.WriteAllText(subtree, "+cpu +memory");
    }

    /// <summary>The parent group path inside a hierarchy: absolute as given, relative below the agent's own group.</summary>
    private string ParentWithin(string controller)
    {
        if (_parent.StartsWith('/')) return _parent;
        var own = OwnCgroup(controller) ?? "/";
        return own.TrimEnd('/') + "/" + _parent;
    }

    /// <summary>This process's cgroup path in the hierarchy of <paramref name="controller"/> ("" = v2 unified).</summary>
    public static string? OwnCgroup(string controller) => CgroupOf("/proc/self/cgroup", controller);

    /// <summary>
    /// A process's cgroup path in the hierarchy of <paramref name="controller"/> ("" = v2 unified), from its
    /// /proc/PID/cgroup file; null when the file is gone (the process ended) or has no such line.
    /// </summary>
    public static string? CgroupOf(string procCgroupFile, string controller)
    {
        try
        {
            return ParseProcCgroup(File.ReadLines(procCgroupFile), controller);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        return null;
    }

    /// <summary>The path of the "ID:controllers:path" line naming <paramref name="controller"/> ("" = the v2 line "0::path").</summary>
    public static string? ParseProcCgroup(IEnumerable<string> lines, string controller)
    {
        foreach (var line in lines)
        {
            var parts = line.Split(':', 3);
            if (parts.Length != 3) continue;
            var controllers = parts[1].Split(',');
            if (controller.Length == 0 ? parts[1].Length == 0 : controllers.Contains(controller)) return parts[2];
        }
        return null;
    }

    /// <summary>
    /// OOM kills inside a running process's group: cgroup v2 memory.events oom_kill, or v1 memory.oom_control
    /// oom_kill (kernel 4.13+). A container whose shell survived its memory hog child being killed shows it here,
    /// and nowhere in Docker's own stats. Null when the process or its group is gone.
    /// </summary>
    public static long? ReadOomKillsOf(int pid, string mountRoot = "/sys/fs/cgroup")
    {
        if (pid <= 0) return null;
        var procFile = $"/proc/{pid}/cgroup";
        if (File.Exists(Path.Join(mountRoot, "cgroup.controllers")))
        {
            return CgroupOf(procFile, "") is { } path && Path.Join(mountRoot, path) is var dir && Directory.Exists(dir)
                ? CgroupFiles.ReadV2(dir, default).OomKills : null;
        }
        return CgroupOf(procFile, "memory") is { } v1 && Path.Join(mountRoot, "memory", v1) is var memoryDir && Directory.Exists(memoryDir)
            ? CgroupFiles.ReadV1(null, null, memoryDir, default).OomKills : null;
    }

    private static string ResolveReal(string dir)
    {
        // Resolve a symlinked hierarchy (/sys/fs/cgroup/cpu -> cpu,cpuacct) so one directory is joined once.
        var parts = dir.Split('/', StringSplitOptions.RemoveEmptyEntries);
        var current = "/";
        foreach (var p in parts)
        {
            current = Path.Combine(current, p);
            var info = new DirectoryInfo(current);
            if (info.LinkTarget is not null && info.ResolveLinkTarget(true) is { } target) current = target.FullName;
        }
        return current;
    }

    private static long MemBytes(double memMb) => (long)Math.Ceiling(memMb * 1024 * 1024);
    private static string Text(long value) => value.ToString(CultureInfo.InvariantCulture);

    private void WarnOnce(string message)
    {
        lock (_gate)
        {
            if (_warned) return;
            _warned = true;
        }
        _log.CgroupsUnavailable(message);
    }
}
