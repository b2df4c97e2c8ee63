using Drover.Agent.Cgroups;
using Drover.Agent.Drivers;
using Drover.Agent.Tasks;
using Drover.Api.Stats;

namespace Drover.Agent.Stats;

/// <summary>
/// What the agent's /stats and /tasks/{id}/stats answer: each running task's figures (cgroup, Docker's stats, or
/// /proc), its sandbox's size, and the host's. Nothing is polled between requests; a CPU rate needs two readings, so
/// a key read for the first time (or not within <see cref="CpuRates.MaxAge"/>) is read again after
/// <see cref="RateSampleDelay"/>, as `docker stats --no-stream` waits for its second sample.
/// </summary>
public sealed class AgentStatsReader(LocalTasks tasks, string dataDir, string hostname, TimeProvider time)
{
    public static readonly TimeSpan RateSampleDelay = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan PerTaskTimeout = TimeSpan.FromSeconds(3);
    private const string HostKey = "\0host";
    private readonly CpuRates _rates = new();

    /// <summary>One task's figures; null when the task is unknown here, has ended, or its runtime gives none.</summary>
    public async Task<TaskStats?> ReadTaskAsync(string taskId, CancellationToken ct)
    {
        if (tasks.Find(taskId) is not { IsTerminal: false, Handle: { } handle } runner) return null;
        if (!_rates.HasRecent(taskId, time.GetUtcNow()) && await ReadUsageAsync(handle, ct).ConfigureAwait(false) is { } first)
        {
            Observe(taskId, first);
            await Task.Delay(RateSampleDelay, time, ct).ConfigureAwait(false);
        }
        return await ReadUsageAsync(handle, ct).ConfigureAwait(false) is { } usage ? ToWire(runner, handle, usage) : null;
    }

    /// <summary>The host and every running task, read together (one wait for the rates, whatever the number of tasks).</summary>
    public async Task<AgentStats> ReadAllAsync(CancellationToken ct)
    {
        var now = time.GetUtcNow();
        _rates.Prune(now);
        var running = tasks.All().Where(r => !r.IsTerminal && r.Handle is not null).ToList();
        if (!_rates.HasRecent(HostKey, now) || running.Any(r => !_rates.HasRecent(r.TaskId, now)))
        {
            ReadHost();
            foreach (var (runner, usage) in await ReadUsagesAsync(running, ct).ConfigureAwait(false)) Observe(runner.TaskId, usage);
            await Task.Delay(RateSampleDelay, time, ct).ConfigureAwait(false);
        }
        var host = ReadHost();
        var list = (await ReadUsagesAsync(running, ct).ConfigureAwait(false)).Select(x => ToWire(x.Runner, x.Runner.Handle!, x.Usage)).ToList();
        return new AgentStats { Host = host, Tasks = list };
    }

    /// <summary>The host's CPU (a rate since the previous reading), memory, the data directory's filesystem and the load.</summary>
    public HostStats ReadHost()
    {
        var now = time.GetUtcNow();
        var cpu = new HostCpuStats { Cores = Environment.ProcessorCount };
        if (Read("/proc/stat") is { } stat && HostFiles.ParseCpuLine(stat) is { } jiffies)
        {
            // busy jiffies in CPU-seconds (USER_HZ), so the rate reads as CPUs busy like the tasks' rates
            if (_rates.Observe(HostKey, now, (double)jiffies.Busy / CgroupFiles.UserHz) is { } rate)
                // jiffies tick per CPU while the clock is read once: a window can count a little more than it lasted
                cpu = cpu with { Rate = Math.Min(rate.Rate, cpu.Cores), RateWindowSeconds = rate.WindowSeconds };
        }
        return new HostStats
        {
            Hostname = hostname,
            Timestamp = now,
            Cpu = cpu,
            Memory = Read("/proc/meminfo") is { } meminfo ? HostFiles.ParseMeminfo(meminfo) : null,
            Disk = Disk(dataDir),
            Load = Read("/proc/loadavg") is { } loadavg ? HostFiles.ParseLoadavg(loadavg) : null,
            Tasks = tasks.All().Count(r => !r.IsTerminal),
        };
    }

    private async Task<List<(TaskRunner Runner, TaskResourceUsage Usage)>> ReadUsagesAsync(IReadOnlyList<TaskRunner> runners, CancellationToken ct)
    {
        // in parallel: a Docker stats call takes a moment, and a slow one must not hold up the others
        var read = await Task.WhenAll(runners.Select(async r => (Runner: r, Usage: await ReadUsageAsync(r.Handle!, ct).ConfigureAwait(false)))).ConfigureAwait(false);
        return [.. read.Where(x => x.Usage is not null).Select(x => (x.Runner, x.Usage!))];
    }

    private static async Task<TaskResourceUsage?> ReadUsageAsync(ITaskHandle handle, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(PerTaskTimeout);
        try
        {
            return await handle.ReadUsageAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return null; // Docker too slow this time: the task is left out rather than the whole answer failing
        }
    }

    private (double Rate, double WindowSeconds)? Observe(string taskId, TaskResourceUsage usage) =>
        _rates.Observe(taskId, usage.Timestamp, usage.CpuUsageNanos / 1e9);

    private TaskStats ToWire(TaskRunner runner, ITaskHandle handle, TaskResourceUsage u)
    {
        var rate = Observe(runner.TaskId, u);
        return new TaskStats
        {
            TaskId = runner.TaskId,
            AppId = runner.Spec.AppId,
            Host = hostname,
            Timestamp = u.Timestamp,
            Source = u.Source,
            Cpu = new CpuStats
            {
                UsageSeconds = Seconds(u.CpuUsageNanos)!.Value,
                UserSeconds = Seconds(u.CpuUserNanos),
                SystemSeconds = Seconds(u.CpuSystemNanos),
                ThrottledSeconds = Seconds(u.CpuThrottledNanos),
                ThrottledPeriods = (long?)u.CpuThrottledPeriods,
                Periods = (long?)u.CpuPeriods,
                Rate = rate?.Rate,
                RateWindowSeconds = rate?.WindowSeconds,
            },
            Memory = new MemoryStats
            {
                UsageBytes = u.MemoryBytes,
                RssBytes = u.MemoryRssBytes,
                CacheBytes = u.MemoryCacheBytes,
                LimitBytes = u.MemoryLimitBytes,
                OomKills = u.OomKills,
            },
            Disk = new DiskStats { SandboxBytes = SandboxSize.Measure(handle.Sandbox) },
            Network = u.NetworkRxBytes is { } rx && u.NetworkTxBytes is { } tx
                ? new NetworkStats { RxBytes = rx, TxBytes = tx, RxPackets = u.NetworkRxPackets, TxPackets = u.NetworkTxPackets }
                : null,
        };
    }

    private static double? Seconds(ulong? nanos) => nanos is { } n ? Math.Round(n / 1e9, 6) : null;

    private static HostDiskStats? Disk(string path)
    {
        try
        {
            var drive = new DriveInfo(path);
            var total = (ulong)drive.TotalSize;
            var free = (ulong)drive.AvailableFreeSpace;
            return new HostDiskStats { Path = path, TotalBytes = total, FreeBytes = free, UsedBytes = total > (ulong)drive.TotalFreeSpace ? total - (ulong)drive.TotalFreeSpace : 0 };
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException) { return null; }
    }

    private static string? Read(string file)
    {
        try { return File.ReadAllText(file); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
    }
}
