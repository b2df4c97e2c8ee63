using Drover.Agent.Cgroups;
using Drover.Agent.Docker;
using Drover.Core.Cluster;

namespace Drover.Agent.Drivers.Docker;

/// <summary>A task of the <see cref="DockerDriver"/>: one container, started by this agent or re-adopted by its labels.</summary>
internal sealed class DockerTaskHandle : ITaskHandle, IStreamedOutput
{
    private readonly DockerDriver _driver;
    private readonly TaskCompletionSource<TaskExit> _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _gate = new();
    private DockerTaskRecord _record;
    private int _finishing;

    public DockerTaskHandle(DockerDriver driver, DockerTaskRecord record, int pid, bool recovered)
    {
        _driver = driver;
        _record = record;
        Pid = pid;
        Recovered = recovered;
    }

    public string TaskId => _record.TaskId;
    public TaskSpec Spec => _record.Spec;
    public string Sandbox => _record.Sandbox;
    public string ContainerId => _record.ContainerId!;
    public int Pid { get; }
    public string RuntimeId => $"container {DockerClient.Short(ContainerId)}";
    public DateTimeOffset StartedAt => _record.StartedAt;
    public bool KillRequested { get { lock (_gate) return _record.KillRequested; } }
    public bool Recovered { get; }
    public Task<TaskExit> Exited => _exited.Task;

    internal DockerTaskRecord Record { get { lock (_gate) return _record; } }

    /// <summary>Claims the one-time job of finishing the task (inspect, archive, remove); false when another caller has it.</summary>
    internal bool TryBeginFinish() => Interlocked.Exchange(ref _finishing, 1) == 0;

    internal void Complete(TaskExit exit) => _exited.TrySetResult(exit);

    /// <summary>Docker stops the container: its stop signal (SIGTERM), SIGKILL after the grace period.</summary>
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
        _driver.Log.ContainerStopping(TaskId, DockerClient.Short(ContainerId), gracePeriod.TotalSeconds);
        await _driver.Client.StopContainerAsync(ContainerId, gracePeriod, ct).ConfigureAwait(false);
        // The die event normally finishes the task; look ourselves too, in case the event stream is reconnecting.
        _ = _driver.FinishIfStoppedAsync(this);
        await Exited.WaitAsync(ct).ConfigureAwait(false);
    }

    /// <summary>GET /containers/{id}/logs?follow=1&amp;stdout=1&amp;stderr=1&amp;timestamps=1, from a moment or (tail=0) from now.</summary>
    public Task<Stream?> OpenOutputAsync(long? sinceUnixNanos, CancellationToken ct) =>
        _driver.Client.OpenLogsAsync(ContainerId, sinceUnixNanos is { } since
            ? new DockerLogQuery { Stdout = true, Stderr = true, Follow = true, Timestamps = true, SinceUnixNanos = since }
            : new DockerLogQuery { Stdout = true, Stderr = true, Follow = true, Timestamps = true, Tail = 0 }, ct);

    public async Task<bool> IsRunningAsync(CancellationToken ct) =>
        !Exited.IsCompleted && await _driver.Client.InspectContainerAsync(ContainerId, ct).ConfigureAwait(false) is { State.Running: true };

    /// <summary>Docker's one-shot stats: CPU time, and memory without the page cache (as `docker stats` shows it).</summary>
    public async Task<TaskResourceUsage?> ReadUsageAsync(CancellationToken ct = default)
    {
        if (Exited.IsCompleted) return null;
        DockerStats? stats;
        try
        {
            stats = await _driver.Client.StatsAsync(ContainerId, ct).ConfigureAwait(false);
        }
        catch (DockerApiException)
        {
            return null;
        }
        // Docker's stats carry no OOM count (only inspect's OOMKilled, once the container died of it): read its cgroup's.
        return stats is null ? null : Usage(stats, _driver.Time.GetUtcNow()) with { OomKills = CgroupManager.ReadOomKillsOf(Pid) };
    }

    internal static TaskResourceUsage Usage(DockerStats stats, DateTimeOffset now)
    {
        var memory = stats.MemoryStats;
        var memStat = memory?.Stats;
        ulong? Stat(string key) => memStat is not null && memStat.TryGetValue(key, out var v) ? v : null;
        // cgroup v1 names the page cache "cache", v2 "inactive_file" (what `docker stats` subtracts) and "file"
        ulong cache = Stat("cache") ?? Stat("inactive_file") ?? 0;
        var usage = memory?.Usage ?? 0;
        var cpu = stats.CpuStats;
        var networks = stats.Networks?.Values.ToList();
        ulong? Sum(Func<DockerNetworkStats, ulong> f) => networks is { Count: > 0 } ? networks.Aggregate(0UL, (a, n) => a + f(n)) : null;
        return new TaskResourceUsage
        {
            Timestamp = stats.Read is { } read && DockerLogFrames.TryParseTime(read, out var at) && at.Year > 1 ? at : now,
            Source = "docker",
            CpuUsageNanos = cpu?.CpuUsage?.TotalUsage ?? 0,
            CpuUserNanos = cpu?.CpuUsage?.UserMode,
            CpuSystemNanos = cpu?.CpuUsage?.KernelMode,
            CpuPeriods = cpu?.Throttling?.Periods,
            CpuThrottledPeriods = cpu?.Throttling?.ThrottledPeriods,
            CpuThrottledNanos = cpu?.Throttling?.ThrottledTime,
            MemoryBytes = usage > cache ? usage - cache : usage,
            MemoryRssBytes = Stat("total_rss") ?? Stat("rss") ?? Stat("anon"),
            MemoryCacheBytes = Stat("total_cache") ?? Stat("cache") ?? Stat("file"),
            // Docker reports the host's memory as the limit of an unlimited container.
            MemoryLimitBytes = memory is { Limit: > 0 } m ? m.Limit : null,
            NetworkRxBytes = Sum(n => n.RxBytes),
            NetworkTxBytes = Sum(n => n.TxBytes),
            NetworkRxPackets = Sum(n => n.RxPackets),
            NetworkTxPackets = Sum(n => n.TxPackets),
        };
    }
}
