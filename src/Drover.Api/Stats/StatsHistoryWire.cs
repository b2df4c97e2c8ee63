using System.Globalization;

namespace Drover.Api.Stats;

/// <summary>
/// One task's figures at one moment of its history: the few a chart draws, flat, so an hour of them stays small
/// (the agent keeps one ring of these per running task, as cAdvisor keeps its in-memory history per container).
/// </summary>
public sealed record TaskStatsSample
{
    public required DateTimeOffset Timestamp { get; init; }
    /// <summary>CPUs busy on average since the previous sample (1.0 = one core); absent on a task's first sample.</summary>
    public double? CpuRate { get; init; }
    public double CpuUsageSeconds { get; init; }
    public double? CpuThrottledSeconds { get; init; }
    public ulong MemoryBytes { get; init; }
    public ulong? MemoryRssBytes { get; init; }
    public ulong? MemoryLimitBytes { get; init; }
    public ulong? SandboxBytes { get; init; }
    public ulong? NetworkRxBytes { get; init; }
    public ulong? NetworkTxBytes { get; init; }

    public static TaskStatsSample From(TaskStats s) => new()
    {
        Timestamp = s.Timestamp,
        CpuRate = s.Cpu?.Rate,
        CpuUsageSeconds = s.Cpu?.UsageSeconds ?? 0,
        CpuThrottledSeconds = s.Cpu?.ThrottledSeconds,
        MemoryBytes = s.Memory?.UsageBytes ?? 0,
        MemoryRssBytes = s.Memory?.RssBytes,
        MemoryLimitBytes = s.Memory?.LimitBytes,
        SandboxBytes = s.Disk?.SandboxBytes,
        NetworkRxBytes = s.Network?.RxBytes,
        NetworkTxBytes = s.Network?.TxBytes,
    };
}

/// <summary>One host's figures at one moment of its history.</summary>
public sealed record HostStatsSample
{
    public required DateTimeOffset Timestamp { get; init; }
    /// <summary>CPUs busy on average since the previous sample (0 … <see cref="Cores"/>).</summary>
    public double? CpuRate { get; init; }
    public int Cores { get; init; }
    public ulong? MemoryUsedBytes { get; init; }
    public ulong? MemoryTotalBytes { get; init; }
    public ulong? DiskUsedBytes { get; init; }
    public ulong? DiskTotalBytes { get; init; }
    public double? Load1 { get; init; }
    public double? Load5 { get; init; }
    public double? Load15 { get; init; }
    public int Tasks { get; init; }

    public static HostStatsSample From(HostStats h) => new()
    {
        Timestamp = h.Timestamp,
        CpuRate = h.Cpu.Rate,
        Cores = h.Cpu.Cores,
        MemoryUsedBytes = h.Memory?.UsedBytes,
        MemoryTotalBytes = h.Memory?.TotalBytes,
        DiskUsedBytes = h.Disk?.UsedBytes,
        DiskTotalBytes = h.Disk?.TotalBytes,
        Load1 = h.Load?.One,
        Load5 = h.Load?.Five,
        Load15 = h.Load?.Fifteen,
        Tasks = h.Tasks,
    };
}

/// <summary>
/// <c>GET /v1/drover/tasks/{id}/stats/history[?since=TIME]</c>: the samples the task's agent kept, oldest first,
/// newer than <c>since</c> when given. <see cref="IntervalSeconds"/> and <see cref="RetentionSeconds"/> are the
/// agent's --stats-interval and --stats-history.
/// </summary>
public sealed record TaskStatsHistory
{
    public required string TaskId { get; init; }
    public string? AppId { get; init; }
    public string? AgentId { get; init; }
    public string? Host { get; init; }
    public double IntervalSeconds { get; init; }
    public double RetentionSeconds { get; init; }
    public required IReadOnlyList<TaskStatsSample> Samples { get; init; }
}

/// <summary><c>GET /v1/drover/agents/{id}/stats/history[?since=TIME]</c>: the host's kept samples, oldest first.</summary>
public sealed record HostStatsHistory
{
    public string? AgentId { get; init; }
    public required string Hostname { get; init; }
    public double IntervalSeconds { get; init; }
    public double RetentionSeconds { get; init; }
    public required IReadOnlyList<HostStatsSample> Samples { get; init; }
}

/// <summary>The <c>since</c> query parameter of the history routes: an ISO 8601 time with an offset (RFC 3339).</summary>
public static class HistorySince
{
    /// <summary>Null (no error) when absent or empty; otherwise the time, or an error naming the bad value.</summary>
    public static bool TryParse(string? text, out DateTimeOffset? since, out string? error)
    {
        since = null;
        error = null;
        if (string.IsNullOrEmpty(text)) return true;
        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t))
        {
            since = t;
            return true;
        }
        error = $"since: '{text}' is not a time; give an ISO 8601 time such as 2026-11-30T12:00:00Z";
        return false;
    }

    /// <summary>The query string for <paramref name="since"/> ("" when null), round-trippable to the millisecond and beyond.</summary>
    public static string Query(DateTimeOffset? since) =>
        since is { } s ? "?since=" + Uri.EscapeDataString(s.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture)) : "";
}
