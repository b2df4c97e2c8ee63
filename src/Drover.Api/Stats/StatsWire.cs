using System.Text.Json.Serialization;

namespace Drover.Api.Stats;

/// <summary>
/// One task's resource figures at one moment, as cAdvisor and `docker stats` report a container: what
/// <c>GET /v2/tasks/{id}/stats</c> answers (a Drover extension: Marathon has no such route). Absent figures are
/// left out of the JSON: a process task without a cgroup has no memory limit, only containers have network.
/// </summary>
public sealed record TaskStats
{
    public required string TaskId { get; init; }
    public string? AppId { get; init; }
    /// <summary>The agent the task runs on (filled in by the server).</summary>
    public string? AgentId { get; init; }
    public string? Host { get; init; }
    public required DateTimeOffset Timestamp { get; init; }
    /// <summary>Where the figures come from: cgroup-v1, cgroup-v2, docker, or proc (a process task without a cgroup).</summary>
    public required string Source { get; init; }
    public CpuStats? Cpu { get; init; }
    public MemoryStats? Memory { get; init; }
    public DiskStats? Disk { get; init; }
    public NetworkStats? Network { get; init; }
}

public sealed record CpuStats
{
    /// <summary>CPU time consumed since the task started, user and system.</summary>
    public double UsageSeconds { get; init; }
    public double? UserSeconds { get; init; }
    public double? SystemSeconds { get; init; }
    /// <summary>Time the task was held back by its CFS quota (only with a hard cpu limit).</summary>
    public double? ThrottledSeconds { get; init; }
    public long? ThrottledPeriods { get; init; }
    public long? Periods { get; init; }
    /// <summary>CPUs in use on average over the last <see cref="RateWindowSeconds"/> (1.0 = one core busy), as `docker stats` shows it (×100 %).</summary>
    public double? Rate { get; init; }
    public double? RateWindowSeconds { get; init; }
}

public sealed record MemoryStats
{
    /// <summary>What the kernel charges the task (v1 memory.usage_in_bytes, v2 memory.current), the page cache included.</summary>
    public ulong UsageBytes { get; init; }
    /// <summary>Anonymous memory (v1 rss, v2 anon): what the task's own allocations hold.</summary>
    public ulong? RssBytes { get; init; }
    /// <summary>Page cache (v1 cache, v2 file): reclaimable before an OOM kill.</summary>
    public ulong? CacheBytes { get; init; }
    public ulong? LimitBytes { get; init; }
    /// <summary>Processes of the task the kernel's OOM killer has killed (v1 memory.oom_control, v2 memory.events oom_kill).</summary>
    public long? OomKills { get; init; }
}

public sealed record DiskStats
{
    /// <summary>Bytes of the files in the task's sandbox (its stdout/stderr and rotations, fetched artifacts, what it wrote there).</summary>
    public ulong SandboxBytes { get; init; }
}

public sealed record NetworkStats
{
    public ulong RxBytes { get; init; }
    public ulong TxBytes { get; init; }
    public ulong? RxPackets { get; init; }
    public ulong? TxPackets { get; init; }
}

/// <summary>One agent host's figures: what <c>GET /v1/drover/agents/{id}/stats</c> answers.</summary>
public sealed record HostStats
{
    public string? AgentId { get; init; }
    public required string Hostname { get; init; }
    public required DateTimeOffset Timestamp { get; init; }
    public required HostCpuStats Cpu { get; init; }
    public HostMemoryStats? Memory { get; init; }
    /// <summary>The filesystem of the agent's data directory, where sandboxes live.</summary>
    public HostDiskStats? Disk { get; init; }
    public LoadAverage? Load { get; init; }
    /// <summary>Tasks the agent runs now.</summary>
    public int Tasks { get; init; }
}

public sealed record HostCpuStats
{
    public int Cores { get; init; }
    /// <summary>CPUs busy on average over the last <see cref="RateWindowSeconds"/> (0 … <see cref="Cores"/>), from /proc/stat.</summary>
    public double? Rate { get; init; }
    public double? RateWindowSeconds { get; init; }
}

public sealed record HostMemoryStats
{
    public ulong TotalBytes { get; init; }
    /// <summary>MemAvailable: what could be given to programs without swapping.</summary>
    public ulong AvailableBytes { get; init; }
    public ulong UsedBytes { get; init; }
}

public sealed record HostDiskStats
{
    public required string Path { get; init; }
    public ulong TotalBytes { get; init; }
    public ulong FreeBytes { get; init; }
    public ulong UsedBytes { get; init; }
}

public sealed record LoadAverage(double One, double Five, double Fifteen);

/// <summary>
/// <c>GET /v1/drover/stats[?app=ID]</c>: every running task's figures (of one app and its group, when asked) and
/// every agent's host, read from all agents at once. An agent that did not answer is named in <see cref="Errors"/>
/// rather than failing the whole answer.
/// </summary>
public sealed record ClusterStats
{
    public required IReadOnlyList<TaskStats> Tasks { get; init; }
    public required IReadOnlyList<HostStats> Hosts { get; init; }
    public IReadOnlyList<AgentStatsError> Errors { get; init; } = [];
}

public sealed record AgentStatsError(string AgentId, string Host, string Message);

/// <summary>What an agent's <c>GET /stats</c> answers: its host and all its running tasks, read in one pass.</summary>
public sealed record AgentStats
{
    public required HostStats Host { get; init; }
    public required IReadOnlyList<TaskStats> Tasks { get; init; }
}

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    PropertyNameCaseInsensitive = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(TaskStats))]
[JsonSerializable(typeof(HostStats))]
[JsonSerializable(typeof(AgentStats))]
[JsonSerializable(typeof(ClusterStats))]
[JsonSerializable(typeof(TaskStatsHistory))]
[JsonSerializable(typeof(HostStatsHistory))]
public partial class StatsJsonContext : JsonSerializerContext;
