using System.Text.Json.Serialization;
using Drover.Api.LoadBalancing;

namespace Drover.Api.Status;

/// <summary>
/// <c>GET /v1/drover/status</c>: the health of Drover itself, as the server answering sees it. Not in /v2/info:
/// python3-marathon's MarathonInfo takes only Marathon's keys and fails on any other.
/// </summary>
public sealed record DroverStatus
{
    public required string Version { get; init; }
    public string? Commit { get; init; }
    /// <summary>The Marathon API version /v2/info claims.</summary>
    public required string MarathonVersion { get; init; }
    /// <summary>host:port of the server that answered.</summary>
    public required string Server { get; init; }
    public required DateTimeOffset StartedAt { get; init; }
    public double UptimeSeconds { get; init; }
    /// <summary>The leader's host:port; null while there is none.</summary>
    public string? Leader { get; init; }
    public bool IsLeader { get; init; }
    public string? NoLeaderCause { get; init; }
    public required StoreStatus Store { get; init; }
    public required AgentCounts Agents { get; init; }
    public int Apps { get; init; }
    public int Tasks { get; init; }
    public int Deployments { get; init; }
    /// <summary>Null when the server runs without DNS (--dns-listen off).</summary>
    public DnsStatus? Dns { get; init; }
    /// <summary>The lbs registered with this server (lbs register with the leader, so a follower lists none).</summary>
    public IReadOnlyList<LbInstance> Lbs { get; init; } = [];
}

public sealed record StoreStatus
{
    /// <summary>sqlite, etcd or memory.</summary>
    public required string Kind { get; init; }
    /// <summary>The SQLite file, or the etcd endpoints and prefix.</summary>
    public string? Location { get; init; }
    /// <summary>The SQLite file with its write-ahead log, or etcd's database (the member this server asked).</summary>
    public long? SizeBytes { get; init; }
    /// <summary>The index of the last write this server has (etcd: the revision).</summary>
    public long Index { get; init; }
    /// <summary>When this server last saw the index move (or the SQLite file was last written before it started); null when unknown.</summary>
    public DateTimeOffset? LastWriteAt { get; init; }
    /// <summary>True while the store has lost its quorum and this server serves its last copy.</summary>
    public bool Stale { get; init; }
    public string? StaleCause { get; init; }
}

public sealed record AgentCounts(int Total, int Active, int Draining, int Unreachable);

public sealed record DnsStatus(string Udp, string Tcp, string Domain);

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    PropertyNameCaseInsensitive = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(DroverStatus))]
public partial class StatusJsonContext : JsonSerializerContext;
