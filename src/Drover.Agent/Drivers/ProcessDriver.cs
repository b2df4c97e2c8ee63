using System.Diagnostics;
using System.Text.Json;
using Drover.Agent.Cgroups;
using Drover.Core.Cluster;
using Microsoft.Extensions.Logging;

namespace Drover.Agent.Drivers;

public sealed record ProcessDriverOptions
{
    /// <summary>Root of tasks/ (runtime records, exit codes) and sandboxes/.</summary>
    public required string DataDir { get; init; }
    public bool EnableCgroups { get; init; } = true;
    /// <summary>See <see cref="AgentOptions.CgroupParent"/>.</summary>
    public string CgroupParent { get; init; } = "/drover";
    /// <summary>How often re-adopted tasks (not our children) are checked for exit.</summary>
    public TimeSpan ExitPollInterval { get; init; } = TimeSpan.FromMilliseconds(200);
    public string SetsidPath { get; init; } = "/usr/bin/setsid";
    public string ShellPath { get; init; } = "/bin/sh";
}

/// <summary>
/// Runs tasks as plain processes (Mesos' command executor, Nomad's raw_exec). Each task runs in its
/// own session and process group, with stdout/stderr going straight to files in its sandbox, so it
/// outlives the agent; a small shell wrapper joins the task's cgroup and records the exit status.
/// </summary>
public sealed partial class ProcessDriver : ITaskDriver
{
    public const string DriverName = "process";

    // Runs as: sh -c WRAPPER drover-task EXITFILE STDOUT STDERR CGROUP_PROCS(colon-separated) MODE CMD | ARGS...
    // Everything user-supplied arrives as separate argv entries, so no quoting is involved. TERM/INT/HUP are
    // caught (not ignored, so the user command gets default dispositions) and the wrapper outlives its child
    // to record the status; a group SIGKILL after the grace period takes the wrapper down too.
    private const string Wrapper = """
        exec </dev/null >>"$2" 2>>"$3" || exit 125
        trap : TERM INT HUP
        set -f
        if [ -n "$4" ]; then
          IFS=:
          for f in $4; do echo $$ > "$f" || echo "drover: could not join cgroup $f; running without limits" >&2; done
          unset IFS
        fi
        set +f
        exitfile=$1
        mode=$5
        shift 5
        if [ "$mode" = cmd ]; then /bin/sh -c "$1"; else "$@"; fi
        status=$?
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

        var cgroup = Cgroups.Create(spec.TaskId, spec.Cpus, spec.MemMb);
        var exitFile = ExitFilePath(spec.TaskId);
        File.Delete(exitFile);

        Process process;
        try
        {
            process = Process.Start(BuildStartInfo(spec, sandbox, exitFile, cgroup))
                      ?? throw new TaskLaunchException("process did not start");
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or IOException or InvalidOperationException)
        {
            if (cgroup is not null) Cgroups.Remove(cgroup);
            throw new TaskLaunchException($"cannot start {_options.SetsidPath}: {e.Message}", e);
        }

        var startTime = await WaitForOwnSessionAsync(process.Id).ConfigureAwait(false);
        var record = new TaskRuntimeRecord
        {
            TaskId = spec.TaskId,
            Driver = Name,
            Pid = process.Id,
            ProcessStartTime = startTime,
            Sandbox = sandbox,
            StartedAt = _time.GetUtcNow(),
            Spec = spec,
            CgroupDirs = cgroup?.Directories ?? [],
            CgroupVersion = cgroup?.Version.ToString(),
        };
        WriteRecord(record);
        _log.TaskProcessStarted(spec.TaskId, process.Id, sandbox);
        return ProcessTaskHandle.StartWatchingChild(this, record, cgroup, process);
    }

    /// <summary>
    /// Waits until setsid has made the new process a session and group leader, so that signals to the
    /// group reach it from the first moment; returns its start time (0 if it is already gone).
    /// </summary>
    private static async Task<ulong> WaitForOwnSessionAsync(int pid)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            if (Posix.ReadStat(pid) is not { } stat) return 0;
            if (stat.ProcessGroup == pid || stat.HasExited || deadline.Elapsed > TimeSpan.FromSeconds(2)) return stat.StartTime;
            // A real-time wait for the kernel, not a timer: it is over within a millisecond or two.
            await Task.Delay(1).ConfigureAwait(false);
        }
    }

    private ProcessStartInfo BuildStartInfo(TaskSpec spec, string sandbox, string exitFile, TaskCgroup? cgroup)
    {
        var psi = new ProcessStartInfo(_options.SetsidPath)
        {
            UseShellExecute = false,
            WorkingDirectory = sandbox,
        };
        psi.ArgumentList.Add(_options.ShellPath);
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(Wrapper);
        psi.ArgumentList.Add("drover-task");
        psi.ArgumentList.Add(exitFile);
        psi.ArgumentList.Add(Path.Combine(sandbox, "stdout"));
        psi.ArgumentList.Add(Path.Combine(sandbox, "stderr"));
        psi.ArgumentList.Add(cgroup is null ? "" : string.Join(':', cgroup.ProcsFiles));
        if (!string.IsNullOrWhiteSpace(spec.Cmd))
        {
            psi.ArgumentList.Add("cmd");
            psi.ArgumentList.Add(spec.Cmd);
        }
        else
        {
            psi.ArgumentList.Add("args");
            foreach (var a in spec.Args!) psi.ArgumentList.Add(a);
        }

        var inherited = psi.Environment;
        var path = inherited.TryGetValue("PATH", out var p) && !string.IsNullOrEmpty(p) ? p : "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
        inherited.TryGetValue("HOME", out var home);
        inherited.Clear();
        inherited["PATH"] = path;
        if (!string.IsNullOrEmpty(home)) inherited["HOME"] = home;
        foreach (var (k, v) in spec.Env) inherited[k] = v;
        inherited["MESOS_SANDBOX"] = sandbox;
        inherited["DROVER_SANDBOX"] = sandbox;
        return psi;
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
