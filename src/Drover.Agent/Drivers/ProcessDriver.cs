using System.Diagnostics;
using System.Text.Json;
using Drover.Agent.Cgroups;
using Drover.Agent.Logs;
using Drover.Core.Cluster;
using Drover.Core.Resources;
using Microsoft.Extensions.Logging;

namespace Drover.Agent.Drivers;

public sealed record ProcessDriverOptions
{
    /// <summary>Root of tasks/ (runtime records, exit codes) and sandboxes/.</summary>
    public required string DataDir { get; init; }
    public bool EnableCgroups { get; init; } = true;
    /// <summary>See <see cref="AgentOptions.CgroupParent"/>.</summary>
    public string CgroupParent { get; init; } = "/drover";
    /// <summary>See <see cref="AgentOptions.CpuHardLimit"/>.</summary>
    public bool CpuHardLimit { get; init; }
    /// <summary>How often tasks are checked for exit (waitpid for our children, /proc for re-adopted ones).</summary>
    public TimeSpan ExitPollInterval { get; init; } = TimeSpan.FromMilliseconds(50);
    public string ShellPath { get; init; } = "/bin/sh";
}

/// <summary>
/// Runs tasks as plain processes (Mesos' command executor, Nomad's raw_exec). Each task runs in its
/// own session and process group (posix_spawn), with stdout/stderr opened straight onto files in its
/// sandbox, so it outlives the agent; a small shell wrapper joins the task's cgroup and records the exit status.
/// </summary>
public sealed partial class ProcessDriver : ITaskDriver
{
    public const string DriverName = "process";

    // Runs as: sh -c WRAPPER drover-task SANDBOX EXITFILE CGROUP_PROCS(colon-separated) MODE CMD | ARGS...
    // Everything user-supplied arrives as separate argv entries, so no quoting is involved. TERM/INT/HUP are
    // caught, not ignored (the user command must get default dispositions), so the wrapper outlives its child
    // and records the status; a TERM that arrives before the user command starts means "do not start it".
    // A group SIGKILL after the grace period takes the wrapper down too (then no exit file is written).
    private const string Wrapper = """
        term=
        trap 'term=1' TERM INT HUP
        cd -- "$1" || exit 126
        set -f
        if [ -n "$3" ]; then
          IFS=:
          for f in $3; do echo $$ > "$f" || echo "drover: could not join cgroup $f; running without limits" >&2; done
          unset IFS
        fi
        set +f
        exitfile=$2
        mode=$4
        shift 4
        if [ -n "$term" ]; then status=143
        elif [ "$mode" = cmd ]; then /bin/sh -c "$1"; status=$?
        else "$@"; status=$?
        fi
        echo $status > "$exitfile"
        exit $status
        """;

    private readonly ProcessDriverOptions _options;
    private readonly ILogger _log;
    private readonly TimeProvider _time;
    private readonly ArtifactFetcher _fetcher;
    private readonly HttpClient? _ownedHttp;
    private readonly CancellationTokenSource _stopping = new();

    public ProcessDriver(ProcessDriverOptions options, ILogger<ProcessDriver>? log = null, TimeProvider? time = null, HttpClient? http = null)
    {
        _options = options;
        _log = log ?? Microsoft.Extensions.Logging.Abstractions.NullLogger<ProcessDriver>.Instance;
        _time = time ?? TimeProvider.System;
        if (http is null) http = _ownedHttp = new HttpClient { Timeout = TimeSpan.FromMinutes(10) };
        _fetcher = new ArtifactFetcher(http);
        Cgroups = new CgroupManager(options.EnableCgroups, options.CgroupParent, _log);
        Directory.CreateDirectory(TasksDir);
        Directory.CreateDirectory(SandboxesDir);
    }

    public string Name => DriverName;
    public CgroupManager Cgroups { get; }
    internal TimeProvider Time => _time;
    internal ILogger Log => _log;
    internal TimeSpan ExitPollInterval => _options.ExitPollInterval;
    internal CancellationToken Stopping => _stopping.Token;

    private string TasksDir => Path.Combine(_options.DataDir, "tasks");
    private string SandboxesDir => Path.Combine(_options.DataDir, "sandboxes");
    internal string RecordPath(string taskId) => Path.Combine(TasksDir, taskId + ".json");
    internal string ExitFilePath(string taskId) => Path.Combine(TasksDir, taskId + ".exit");

    public string GetSandboxPath(string taskId) =>
        TaskIds.IsSafe(taskId) ? Path.Combine(SandboxesDir, taskId) : throw new ArgumentException($"unsafe task id '{taskId}'", nameof(taskId));

    public bool CanRun(TaskSpec spec) => spec.Container?.Docker is null;

    public async Task<ITaskHandle> StartAsync(TaskSpec spec, CancellationToken ct)
    {
        if (!TaskIds.IsSafe(spec.TaskId))
            throw new TaskLaunchException($"task id '{spec.TaskId}' may only contain letters, digits and . _ - + @");
        if (!CanRun(spec)) throw new TaskLaunchException("the process driver cannot run Docker containers");
        if (string.IsNullOrWhiteSpace(spec.Cmd) && (spec.Args is null || spec.Args.Count == 0))
            throw new TaskLaunchException("task has neither cmd nor args");

        var sandbox = GetSandboxPath(spec.TaskId);
        try
        {
            Directory.CreateDirectory(sandbox);
            // Create the log files up front so they can be tailed from the moment the task is staged.
            File.AppendAllText(Path.Combine(sandbox, "stdout"), "");
            File.AppendAllText(Path.Combine(sandbox, "stderr"), "");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new TaskLaunchException($"cannot create sandbox {sandbox}: {e.Message}", e);
        }

        await _fetcher.FetchAllAsync(spec.Fetch, sandbox, ct).ConfigureAwait(false);
        ct.ThrowIfCancellationRequested();

        var cgroup = Cgroups.Create(spec.TaskId, CpuLimits.For(spec, _options.CpuHardLimit), spec.MemMb);
        var exitFile = ExitFilePath(spec.TaskId);
        File.Delete(exitFile);

        int pid;
        try
        {
            var (argv, env) = BuildLaunch(spec, sandbox, exitFile, cgroup);
            pid = PosixSpawn.Start(_options.ShellPath, argv, env, Path.Combine(sandbox, "stdout"), Path.Combine(sandbox, "stderr"));
        }
        catch (Exception e) when (e is IOException or TaskLaunchException)
        {
            if (cgroup is not null) Cgroups.Remove(cgroup);
            if (e is TaskLaunchException) throw;
            throw new TaskLaunchException($"cannot start the task: {e.Message}", e);
        }

        var startTime = await WaitUntilLaunchedAsync(pid, exitFile).ConfigureAwait(false);
        var record = new TaskRuntimeRecord
        {
            TaskId = spec.TaskId,
            Driver = Name,
            Pid = pid,
            ProcessStartTime = startTime,
            Sandbox = sandbox,
            StartedAt = _time.GetUtcNow(),
            Spec = spec,
            CgroupDirs = cgroup?.Directories ?? [],
            CgroupVersion = cgroup?.Version.ToString(),
        };
        WriteRecord(record);
        _log.TaskProcessStarted(spec.TaskId, pid, sandbox);
        return ProcessTaskHandle.StartWatchingChild(this, record, cgroup);
    }

    /// <summary>
    /// Waits until the user command has been exec'd by the wrapper (or everything already ended), so a
    /// kill sent from now on reaches it with its own signal dispositions: a SIGTERM that lands while the
    /// wrapper is still starting up, or between its fork and exec, would otherwise be swallowed by the
    /// wrapper's trap. Returns the wrapper's start time (0 when it is already gone).
    /// </summary>
    private static async Task<ulong> WaitUntilLaunchedAsync(int pid, string exitFile)
    {
        var deadline = Stopwatch.StartNew();
        ulong startTime = 0;
        while (deadline.Elapsed < TimeSpan.FromSeconds(5))
        {
            if (Posix.ReadStat(pid) is not { } stat) return startTime;
            startTime = stat.StartTime;
            if (stat.HasExited || File.Exists(exitFile)) return startTime;
            // Until setsid has run, the wrapper is not a group leader; a forked child that has not yet
            // exec'd still shows the wrapper's own argv.
            if (stat.ProcessGroup == pid && Posix.ReadCmdline(pid) is { } own)
            {
                foreach (var child in Posix.ReadChildren(pid))
                {
                    if (Posix.ReadCmdline(child) is { } argv && !argv.AsSpan().SequenceEqual(own)) return startTime;
                }
            }
            // A real-time wait for the kernel, not a timer: fork and exec take a millisecond or two.
            await Task.Delay(1).ConfigureAwait(false);
        }
        return startTime;
    }

    private static (List<string> Argv, Dictionary<string, string> Env) BuildLaunch(TaskSpec spec, string sandbox, string exitFile, TaskCgroup? cgroup)
    {
        var argv = new List<string>
        {
            "/bin/sh", "-c", Wrapper, "drover-task", sandbox, exitFile,
            cgroup is null ? "" : string.Join(':', cgroup.ProcsFiles),
        };
        if (!string.IsNullOrWhiteSpace(spec.Cmd))
        {
            argv.Add("cmd");
            argv.Add(spec.Cmd);
        }
        else
        {
            argv.Add("args");
            argv.AddRange(spec.Args!);
        }

        var env = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["PATH"] = Environment.GetEnvironmentVariable("PATH") is { Length: > 0 } path ? path : "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        };
        if (Environment.GetEnvironmentVariable("HOME") is { Length: > 0 } home) env["HOME"] = home;
        foreach (var (k, v) in spec.Env)
        {
            if (k.Length == 0 || k.Contains('=') || k.Contains('\0') || v.Contains('\0'))
                throw new TaskLaunchException($"invalid environment variable name or value: '{k}'");
            env[k] = v;
        }
        env["MESOS_SANDBOX"] = sandbox;
        env["DROVER_SANDBOX"] = sandbox;
        if (argv.Any(a => a.Contains('\0'))) throw new TaskLaunchException("cmd and args must not contain NUL characters");
        return (argv, env);
    }

    public async Task<IReadOnlyList<ITaskHandle>> RecoverAsync(CancellationToken ct)
    {
        var handles = new List<ITaskHandle>();
        foreach (var file in Directory.EnumerateFiles(TasksDir, "*.json"))
        {
            ct.ThrowIfCancellationRequested();
            TaskRuntimeRecord? record;
            try
            {
                await using var stream = File.OpenRead(file);
                record = await JsonSerializer.DeserializeAsync(stream, AgentJsonContext.Default.TaskRuntimeRecord, ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is JsonException or IOException)
            {
                _log.RuntimeRecordUnreadable(file, e.Message);
                continue;
            }
            if (record is null || record.Driver != Name || !TaskIds.IsSafe(record.TaskId)) continue;

            var cgroup = Cgroups.Open(record.TaskId);
            if (Posix.IsAlive(record.Pid, record.ProcessStartTime))
            {
                _log.TaskReadopted(record.TaskId, record.Pid);
                handles.Add(ProcessTaskHandle.StartWatchingAdopted(this, record, cgroup));
            }
            else
            {
                var handle = await ProcessTaskHandle.ExitedWhileAwayAsync(this, record, cgroup).ConfigureAwait(false);
                _log.TaskEndedWhileAway(record.TaskId, (await handle.Exited.ConfigureAwait(false)).Describe());
                handles.Add(handle);
            }
        }
        return handles;
    }

    public void Forget(string taskId)
    {
        if (!TaskIds.IsSafe(taskId)) return;
        File.Delete(RecordPath(taskId));
        File.Delete(ExitFilePath(taskId));
    }

    public IReadOnlyList<string> PruneSandboxes(TimeSpan olderThan, IReadOnlySet<string> keep)
    {
        var cutoff = _time.GetUtcNow() - olderThan;
        var deleted = new List<string>();
        foreach (var dir in Directory.EnumerateDirectories(SandboxesDir))
        {
            var id = Path.GetFileName(dir);
            if (keep.Contains(id) || File.Exists(RecordPath(id))) continue;
            try
            {
                var touched = new[] { dir, Path.Combine(dir, "stdout"), Path.Combine(dir, "stderr") }
                    .Where(p => Path.Exists(p)).Max(p => File.GetLastWriteTimeUtc(p));
                if (touched >= cutoff.UtcDateTime) continue;
                Directory.Delete(dir, recursive: true);
                deleted.Add(dir);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                _log.TaskCleanupFailed(id, e.Message);
            }
        }
        return deleted;
    }

    /// <summary>The task's sandbox files, written by the task itself.</summary>
    public Task<ITaskLog?> OpenLogAsync(string taskId, TaskLogRequest request, Func<bool> isRunning, CancellationToken ct) =>
        Task.FromResult<ITaskLog?>(TaskIds.IsSafe(taskId) ? SandboxLog.Open(GetSandboxPath(taskId), request, isRunning, _time) : null);

    internal void WriteRecord(TaskRuntimeRecord record)
    {
        var path = RecordPath(record.TaskId);
        var tmp = path + ".tmp";
        File.WriteAllBytes(tmp, JsonSerializer.SerializeToUtf8Bytes(record, AgentJsonContext.Default.TaskRuntimeRecord));
        File.Move(tmp, path, overwrite: true);
    }

    /// <summary>Reads the status the wrapper recorded, or null when it could not record one (killed by SIGKILL).</summary>
    internal int? ReadExitFile(string taskId)
    {
        try
        {
            var text = File.ReadAllText(ExitFilePath(taskId)).Trim();
            return int.TryParse(text, out var code) ? code : null;
        }
        catch (FileNotFoundException) { return null; }
        catch (IOException) { return null; }
    }

    /// <summary>Stops watching; running tasks are left alone (a new driver re-adopts them).</summary>
    public ValueTask DisposeAsync()
    {
        _stopping.Cancel();
        _ownedHttp?.Dispose();
        return ValueTask.CompletedTask;
    }
}
