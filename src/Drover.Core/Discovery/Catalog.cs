namespace Drover.Core.Discovery;

/// <summary>Consul's check/instance states. Critical instances are never answered by DNS.</summary>
public enum HealthStatus { Passing, Warning, Critical }

/// <summary>
/// One instance of a service as discovery sees it: a task of an app, or an external service
/// registered through the Consul-compatible agent API.
/// </summary>
public sealed record ServiceInstance
{
    /// <summary>DNS-safe service name, e.g. "web-prod" for the app /prod/web.</summary>
    public required string Service { get; init; }
    /// <summary>Unique instance id (task id, or the registered service ID).</summary>
    public required string Id { get; init; }
    /// <summary>Node (agent hostname) the instance runs on.</summary>
    public required string Node { get; init; }
    /// <summary>IPv4/IPv6 address clients connect to.</summary>
    public required string Address { get; init; }
    /// <summary>First port (0 when none).</summary>
    public int Port { get; init; }
    /// <summary>All ports in order (PORT0..n); Port == Ports[0] when any.</summary>
    public IReadOnlyList<int> Ports { get; init; } = [];
    public IReadOnlyList<string> Tags { get; init; } = [];
    public IReadOnlyDictionary<string, string> Meta { get; init; } = new Dictionary<string, string>();
    /// <summary>Aggregated health: the worst of the instance's checks; Passing when it has none.</summary>
    public HealthStatus Health { get; init; } = HealthStatus.Passing;
    /// <summary>The Marathon app id for app tasks (null for external services), for Mesos-DNS style names.</summary>
    public string? AppId { get; init; }
}

/// <summary>An ordered tag priority for a service's failover name (seed 000 mysql-vip, seed 004 Redis).</summary>
public sealed record FailoverPolicy
{
    public required string Service { get; init; }
    /// <summary>Best first, e.g. ["master", "slave"].</summary>
    public required IReadOnlyList<string> TagPriority { get; init; }
    /// <summary>Name answered with the chosen instances; default "&lt;service&gt;-vip".</summary>
    public string? Alias { get; init; }
    /// <summary>When the best tag comes back healthy, move back to it (default) or stay.</summary>
    public bool FailBack { get; init; } = true;
}

public sealed record CatalogNode(string Name, string Address);

/// <summary>An immutable view of everything discoverable, rebuilt on each state change.</summary>
public sealed record CatalogSnapshot
{
    public static readonly CatalogSnapshot Empty = new();
    /// <summary>Rising index (the state store index it was built from).</summary>
    public long Index { get; init; }
    public IReadOnlyList<ServiceInstance> Instances { get; init; } = [];
    public IReadOnlyList<CatalogNode> Nodes { get; init; } = [];
    public IReadOnlyList<FailoverPolicy> Failover { get; init; } = [];
    /// <summary>host:port of the leader server, for leader.&lt;domain&gt; and /v1/status/leader.</summary>
    public string? Leader { get; init; }
    public string? LeaderAddress { get; init; }
}
