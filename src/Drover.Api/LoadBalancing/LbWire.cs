using System.Text.Json.Serialization;

namespace Drover.Api.LoadBalancing;

/// <summary>
/// GET /v1/drover/lb/state: everything a load balancer routes by, and nothing else. <see cref="Index"/> (also the
/// X-Drover-Index header) moves only when this content changes, so an lb blocking on <c>?index=</c> wakes for routing
/// changes, not for every write to the store.
/// </summary>
public sealed record LbState
{
    public long Index { get; init; }
    public IReadOnlyList<LbApp> Apps { get; init; } = [];
}

public sealed record LbApp
{
    public required string Id { get; init; }
    public required string Version { get; init; }
    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();
    /// <summary>"host" (ports are host ports), "container/bridge" (Docker port mappings) or "container".</summary>
    public string NetworkMode { get; init; } = "host";
    /// <summary>portDefinitions[]: the app's service ports (<see cref="LbPort.ServicePort"/>) in host networking.</summary>
    public IReadOnlyList<LbPort> Ports { get; init; } = [];
    public bool HasHealthChecks { get; init; }
    public bool HasReadinessChecks { get; init; }
    public IReadOnlyList<LbTask> Tasks { get; init; } = [];
}

/// <summary>One port of the app: a port definition, or a container port mapping (with its container port).</summary>
public sealed record LbPort
{
    /// <summary>The cluster-wide service port (portDefinitions[].port, portMappings[].servicePort); 0 when none.</summary>
    public int ServicePort { get; init; }
    public int? ContainerPort { get; init; }
    public string Protocol { get; init; } = "tcp";
    public string? Name { get; init; }
    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();
}

public sealed record LbTask
{
    public required string Id { get; init; }
    public required string AgentId { get; init; }
    public required string Host { get; init; }
    /// <summary>The agent's IP address when known (its advertised one first), else null: route to <see cref="Host"/>.</summary>
    public string? Address { get; init; }
    /// <summary>Host ports, in the order of <see cref="LbApp.Ports"/>.</summary>
    public IReadOnlyList<int> Ports { get; init; } = [];
    /// <summary>Marathon's TASK_* state.</summary>
    public required string State { get; init; }
    public required string Version { get; init; }
    /// <summary>Running and, if the app has health checks, all alive (the server's judgement, as for deployments).</summary>
    public bool Healthy { get; init; }
    /// <summary>Healthy and, for the current version with readiness checks, ready: only these should get traffic.</summary>
    public bool Ready { get; init; }
    /// <summary>True while at least one health check has reported; false means health is not known yet.</summary>
    public bool HealthKnown { get; init; }
    /// <summary>The server wants the task gone and holds its kill until the lbs have drained it: take it out of rotation.</summary>
    public bool Draining { get; init; }
    /// <summary>The kill has gone (or is going) to the agent.</summary>
    public bool KillRequested { get; init; }
}

/// <summary>PUT /v1/drover/lb/instances/{id}: an lb registers or heartbeats with the lb-state index it has applied.</summary>
public sealed record LbHeartbeat
{
    /// <summary>The <see cref="LbState.Index"/> whose routing the lb has put into effect (servers drained, added, removed).</summary>
    public long AppliedIndex { get; init; }
    /// <summary>The HAPROXY_GROUP this lb serves (marathon-lb's default "external"); informational.</summary>
    public string? Group { get; init; }
}

public sealed record LbInstance
{
    public required string Id { get; init; }
    public long AppliedIndex { get; init; }
    public string? Group { get; init; }
    public required string LastSeenAt { get; init; }
    /// <summary>Heartbeat at least this often; after 3 missed intervals the lb no longer holds kills.</summary>
    public double HeartbeatIntervalSeconds { get; init; }
    public bool Live { get; init; }
}

public sealed record LbInstances
{
    public IReadOnlyList<LbInstance> Instances { get; init; } = [];
}

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    PropertyNameCaseInsensitive = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(LbState))]
[JsonSerializable(typeof(LbHeartbeat))]
[JsonSerializable(typeof(LbInstance))]
[JsonSerializable(typeof(LbInstances))]
public partial class LbJsonContext : JsonSerializerContext;
