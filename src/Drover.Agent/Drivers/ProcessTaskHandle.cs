using Drover.Agent.Cgroups;
using Drover.Core.Cluster;

namespace Drover.Agent.Drivers;

/// <summary>A task of the <see cref="ProcessDriver"/>: either our child process or one re-adopted from an earlier agent run.</summary>
internal sealed class ProcessTaskHandle : ITaskHandle
{
    private readonly ProcessDriver _driver;
    private readonly TaskCgroup? _cgroup;
    private readonly TaskCompletionSource<TaskExit> _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _gate = new();
    private TaskRuntimeRecord _record;

    private ProcessTaskHandle(ProcessDriver driver, TaskRuntimeRecord record, TaskCgroup? cgroup, bool recovered)
    {
        _driver = driver;
        _record = record;
        _cgroup = cgroup;
        Recovered = recovered;
    }

    public string TaskId => _record.TaskId;
    public TaskSpec Spec => _record.Spec;
    public string Sandbox => _record.Sandbox;
    public int Pid => _record.Pid;
    public string RuntimeId => $"pid {_record.Pid}";
    public DateTimeOffset StartedAt => _record.StartedAt;
    public bool KillRequested { get { lock (_gate) return _record.KillRequested; } }
    public bool Recovered { get; }
    public Task<TaskExit> Exited => _exited.Task;

    internal static ProcessTaskHandle StartWatchingChild(ProcessDriver driver, TaskRuntimeRecord record, TaskCgroup? cgroup)
    {
        var handle = new ProcessTaskHandle(driver, record, cgroup, recovered: false);
        _ = handle.WatchChildAsync();
        return handle;
    }

    internal static ProcessTaskHandle StartWatchingAdopted(ProcessDriver driver, TaskRuntimeRecord record, TaskCgroup? cgroup)
    {
        var handle = new ProcessTaskHandle(driver, record, cgroup, recovered: true);
        _ = handle.PollAdoptedAsync();
        return handle;
    }

    internal static async Task<ProcessTaskHandle> ExitedWhileAwayAsync(ProcessDriver driver, TaskRuntimeRecord record, TaskCgroup? cgroup)
    {
        var handle = new ProcessTaskHandle(driver, record, cgroup, recovered: true);
        // The pid may belong to someone else by now: only the cgroup still identifies leftovers of this task.
        await handle.FinishAsync(driver.ReadExitFile(record.TaskId), groupMayBeOurs: false).ConfigureAwait(false);
        return handle;
    }

    private async Task WatchChildAsync()
    {
        int status;
        try
        {
            while (true)
            {
                var result = PosixSpawn.TryWait(Pid, out status);
                if (result == PosixSpawn.WaitResult.Exited) break;
                if (result == PosixSpawn.WaitResult.NotOurChild)
                {
                    // Someone else reaped it (a runtime configured to reap all children): fall back to /proc.
                    await PollAdoptedAsync().ConfigureAwait(false);
                    return;
                }
                await Task.Delay(_driver.ExitPollInterval, _driver.Time, _driver.Stopping).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            return; // driver disposed: the task keeps running unwatched
        }
        // The wrapper's own status equals the user command's unless the wrapper was SIGKILLed.
        await FinishAsync(_driver.ReadExitFile(TaskId) ?? status, groupMayBeOurs: true).ConfigureAwait(false);
    }

    private async Task PollAdoptedAsync()
    {
        try
        {
            while (Posix.IsAlive(Pid, _record.ProcessStartTime))
                await Task.Delay(_driver.ExitPollInterval, _driver.Time, _driver.Stopping).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return;
        }
        await FinishAsync(_driver.ReadExitFile(TaskId), groupMayBeOurs: true).ConfigureAwait(false);
    }

    private async Task FinishAsync(int? status, bool groupMayBeOurs)
    {
        var oomKilled = false;
        try
        {
            // Before anything is killed or removed: the counter lives in the group's directory.
            oomKilled = _cgroup is not null && CgroupManager.ReadOomKills(_cgroup) > 0;
            // Whatever the task left behind (background children) goes with it, as in a Mesos container.
            if (groupMayBeOurs) SignalGroup(Posix.SIGKILL);
            SignalCgroupMembers(Posix.SIGKILL);
            if (_cgroup is not null) await RemoveCgroupAsync(_cgroup).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _driver.Log.TaskCleanupFailed(TaskId, e.Message);
        }
        finally
        {
            var now = _driver.Time.GetUtcNow();
            var exit = status is { } s ? TaskExit.FromShellStatus(s, now) : new TaskExit(null, null, now);
            // Only when the task died of it: a helper process the OOM killer took while the task lived on is not its end.
            var diedOfIt = oomKilled && (exit.Signal == Posix.SIGKILL || exit.ExitCode is null);
            _exited.TrySetResult(diedOfIt ? exit with { OomKilled = true, MemoryLimitMb = Spec.MemMb > 0 ? Spec.MemMb : null } : exit);
        }
    }

    public async Task KillAsync(TimeSpan gracePeriod, CancellationToken ct = default)
    {
        if (Exited.IsCompleted) return;
        lock (_gate)
        {
            if (!_record.KillRequested)
            {
                _record = _record with { KillRequested = true };
                _driver.WriteRecord(_record);
            }
        }
        _driver.Log.TaskSignalled(TaskId, Pid, Posix.SIGTERM);
        SignalGroup(Posix.SIGTERM);
        SignalCgroupMembers(Posix.SIGTERM);
        if (gracePeriod > TimeSpan.Zero)
        {
            using var delayCts = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var delay = Task.Delay(gracePeriod, _driver.Time, delayCts.Token);
            await Task.WhenAny(Exited, delay).ConfigureAwait(false);
            await delayCts.CancelAsync().ConfigureAwait(false);
            ct.ThrowIfCancellationRequested();
        }
        if (!Exited.IsCompleted)
        {
            _driver.Log.TaskSignalled(TaskId, Pid, Posix.SIGKILL);
            SignalGroup(Posix.SIGKILL);
            SignalCgroupMembers(Posix.SIGKILL);
        }
        await Exited.WaitAsync(ct).ConfigureAwait(false);
    }

    /// <summary>From the task's cgroup; without one, summed over its process group from /proc.</summary>
    public Task<TaskResourceUsage?> ReadUsageAsync(CancellationToken ct = default) =>
        Task.FromResult(Exited.IsCompleted ? null
            : _cgroup is not null ? _driver.Cgroups.ReadUsage(_cgroup, _driver.Time.GetUtcNow())
            : Stats.ProcGroupUsage.Read(Pid, _driver.Time.GetUtcNow()));

    /// <summary>Signals the task's process group unless its leader's pid now belongs to another process.</summary>
    private void SignalGroup(int signal)
    {
        // While any member of group N lives, pid N cannot be reused; so either /proc/N is still our
        // leader (maybe a zombie), or it is gone and the group holds only our leftovers, or N was reused.
        if (Posix.ReadStat(Pid) is { } stat && stat.StartTime != _record.ProcessStartTime) return;
        Posix.KillGroup(Pid, signal);
    }

    private void SignalCgroupMembers(int signal)
    {
        if (_cgroup is null) return;
        foreach (var pid in _cgroup.ReadPids())
        {
            if (pid > 1) Posix.KillProcess(pid, signal);
        }
    }

    private async Task RemoveCgroupAsync(TaskCgroup cgroup)
    {
        // Killed processes leave the group a moment after the signal; rmdir fails with EBUSY until then.
        const int attempts = 40;
        for (var attempt = 1; ; attempt++)
        {
            var last = attempt == attempts;
            if ((cgroup.ReadPids().Count == 0 || last) && _driver.Cgroups.Remove(cgroup, logFailure: last)) return;
            if (last) return;
            await Task.Delay(TimeSpan.FromMilliseconds(50), _driver.Time).ConfigureAwait(false);
        }
    }
}
