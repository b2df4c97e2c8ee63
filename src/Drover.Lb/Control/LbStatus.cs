using System.Text.Json.Serialization;

namespace Drover.Lb.Control;

/// <summary>The lb's own account of itself (GET /lb/status on its status endpoint, `drover lb status`).</summary>
public sealed record LbStatus
{
    public required string Id { get; init; }
    public required string Group { get; init; }
    /// <summary>The newest lb-state index seen from the server, and the one whose routing is in effect.</summary>
    public long SeenIndex { get; init; }
    public long AppliedIndex { get; init; }
    public string? LastSyncAt { get; init; }
    public string? LastError { get; init; }
    public string? LastErrorAt { get; init; }
    public bool ServerReachable { get; init; }
    public required LbCounters Counters { get; init; }
    /// <summary>Apps left out because of their labels, with why.</summary>
    public IReadOnlyList<string> Skipped { get; init; } = [];
    public IReadOnlyList<LbBackendStatus> Backends { get; init; } = [];
    /// <summary>The supervised HAProxy's master PID; null with --nginx or when attached to someone else's HAProxy.</summary>
    public int? HaproxyPid { get; init; }
    /// <summary>With --nginx: what Nginx did with the desired state.</summary>
    public NginxStatus? Nginx { get; init; }
    /// <summary>With --vip: keepalived and whether this host holds the address now.</summary>
    public VipStatus? Vip { get; init; }
    /// <summary>True when this lb re-adopted an HAProxy an earlier lb on the same data dir left running.</summary>
    public bool HaproxyAdopted { get; init; }
}

/// <param name="Applies">Desired states handed to Nginx; <paramref name="Writes"/> of them changed nginx.conf (each a reload once Nginx runs).</param>
/// <param name="Rejected">Configs <c>nginx -t</c> refused (the old one kept serving).</param>
/// <param name="Starts">Times Nginx was started (the first apply, and again after it died).</param>
public sealed record NginxStatus(string ConfigPath, int? Pid, long Applies, long Writes, long Reloads, long Rejected, long Starts,
    string? LastWriteAt, string? LastError, string? LastErrorAt);

/// <param name="Holding">The address is on this host's interface now (this host is VRRP master).</param>
/// <param name="KeepalivedRestarts">Times keepalived was started again after exiting on its own; <paramref name="LastExit"/> says how the last one looked.</param>
public sealed record VipStatus(string Address, string Interface, int? KeepalivedPid, bool Holding, long KeepalivedRestarts = 0, string? LastExit = null);

public sealed record LbCounters(long Syncs, long RuntimeChanges, long Reloads, long Failures);

public sealed record LbBackendStatus(string Name, string Status, IReadOnlyList<LbServerStatus> Servers);

/// <summary>One server as "show stat" reports it: status (UP, DOWN, DRAIN, MAINT, no check), weight, sessions.</summary>
public sealed record LbServerStatus(string Name, string Status, int Weight, long CurrentSessions, long TotalSessions);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, PropertyNameCaseInsensitive = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, WriteIndented = true)]
[JsonSerializable(typeof(LbStatus))]
public partial class LbStatusJsonContext : JsonSerializerContext;
