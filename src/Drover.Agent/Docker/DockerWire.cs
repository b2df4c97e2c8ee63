using System.Text.Json.Serialization;

namespace Drover.Agent.Docker;

// Docker Engine API v1.41 shapes, only the fields Drover uses. Requests and most answers are PascalCase as
// Docker writes them; events and stats are lowercase and named explicitly.

public sealed record DockerVersion
{
    public string Version { get; init; } = "";
    public string ApiVersion { get; init; } = "";
    public string MinAPIVersion { get; init; } = "";
    public string Os { get; init; } = "";
}

public sealed record DockerErrorBody
{
    [JsonPropertyName("message")] public string? Message { get; init; }
}

/// <summary>One line of a pull's progress stream; <see cref="Error"/> set means the pull failed.</summary>
public sealed record DockerProgress
{
    [JsonPropertyName("status")] public string? Status { get; init; }
    [JsonPropertyName("error")] public string? Error { get; init; }
    [JsonPropertyName("errorDetail")] public DockerErrorBody? ErrorDetail { get; init; }
}

public sealed record ImageInspect
{
    public string Id { get; init; } = "";
    public IReadOnlyList<string>? RepoTags { get; init; }
}

/// <summary>POST /containers/create body.</summary>
public sealed record ContainerCreateBody
{
    public required string Image { get; init; }
    public IReadOnlyList<string>? Cmd { get; init; }
    public IReadOnlyList<string>? Entrypoint { get; init; }
    public IReadOnlyList<string> Env { get; init; } = [];
    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();
    public IReadOnlyDictionary<string, EmptyObject>? ExposedPorts { get; init; }
    public string? Hostname { get; init; }
    public string? User { get; init; }
    public string? WorkingDir { get; init; }
    public bool AttachStdout { get; init; }
    public bool AttachStderr { get; init; }
    public bool Tty { get; init; }
    public required HostConfig HostConfig { get; init; }
}

/// <summary>An empty JSON object, as Docker wants in ExposedPorts and Volumes maps.</summary>
public sealed record EmptyObject;

public sealed record HostConfig
{
    public string NetworkMode { get; init; } = "bridge";
    public IReadOnlyList<string> Binds { get; init; } = [];
    public IReadOnlyDictionary<string, IReadOnlyList<PortBinding>>? PortBindings { get; init; }
    /// <summary>Bytes; 0 = no limit.</summary>
    public long Memory { get; init; }
    /// <summary>Memory plus swap, bytes; equal to <see cref="Memory"/> = no swap; -1 = unlimited swap.</summary>
    public long MemorySwap { get; init; }
    /// <summary>Relative CPU weight (1024 = one CPU's worth), as Mesos and Nomad set by default.</summary>
    public long CpuShares { get; init; }
    /// <summary>Hard CPU limit in units of 1e-9 CPUs; 0 = none.</summary>
    public long NanoCpus { get; init; }
    public bool Privileged { get; init; }
    public IReadOnlyList<string>? Dns { get; init; }
    public IReadOnlyList<string>? DnsSearch { get; init; }
    public IReadOnlyList<string>? ExtraHosts { get; init; }
    public IReadOnlyList<string>? CapAdd { get; init; }
    public IReadOnlyList<string>? CapDrop { get; init; }
    public bool ReadonlyRootfs { get; init; }
    public bool? Init { get; init; }
    public IReadOnlyDictionary<string, string>? Tmpfs { get; init; }
    public RestartPolicy RestartPolicy { get; init; } = new();
}

public sealed record PortBinding
{
    /// <summary>Empty = every host address, as `docker run -p` does.</summary>
    public string HostIp { get; init; } = "";
    public required string HostPort { get; init; }
}

/// <summary>Docker never restarts Drover's containers: the agent and the server decide.</summary>
public sealed record RestartPolicy
{
    public string Name { get; init; } = "no";
}

public sealed record ContainerCreated
{
    public required string Id { get; init; }
    public IReadOnlyList<string>? Warnings { get; init; }
}

public sealed record ContainerWaitResult
{
    public long StatusCode { get; init; }
}

public sealed record ContainerInspect
{
    public required string Id { get; init; }
    public string Name { get; init; } = "";
    public string Created { get; init; } = "";
    public required ContainerState State { get; init; }
    public ContainerConfig? Config { get; init; }
    public HostConfig? HostConfig { get; init; }
}

public sealed record ContainerState
{
    /// <summary>created, running, paused, restarting, removing, exited or dead.</summary>
    public string Status { get; init; } = "";
    public bool Running { get; init; }
    public bool OOMKilled { get; init; }
    public bool Dead { get; init; }
    public int Pid { get; init; }
    public int ExitCode { get; init; }
    public string Error { get; init; } = "";
    public string StartedAt { get; init; } = "";
    public string FinishedAt { get; init; } = "";
}

public sealed record ContainerConfig
{
    public string Image { get; init; } = "";
    public IReadOnlyList<string>? Env { get; init; }
    public IReadOnlyDictionary<string, string>? Labels { get; init; }
}

/// <summary>One entry of GET /containers/json.</summary>
public sealed record ContainerSummary
{
    public required string Id { get; init; }
    public IReadOnlyList<string> Names { get; init; } = [];
    public string Image { get; init; } = "";
    public string State { get; init; } = "";
    public IReadOnlyDictionary<string, string>? Labels { get; init; }
}

/// <summary>One message of GET /events.</summary>
public sealed record DockerEvent
{
    [JsonPropertyName("Type")] public string Type { get; init; } = "";
    [JsonPropertyName("Action")] public string Action { get; init; } = "";
    [JsonPropertyName("Actor")] public DockerEventActor? Actor { get; init; }
    [JsonPropertyName("time")] public long Time { get; init; }
    [JsonPropertyName("timeNano")] public long TimeNano { get; init; }

    /// <summary>The container the event is about (Actor.ID).</summary>
    public string? ContainerId => Actor?.Id;
}

public sealed record DockerEventActor
{
    [JsonPropertyName("ID")] public string? Id { get; init; }
    [JsonPropertyName("Attributes")] public IReadOnlyDictionary<string, string>? Attributes { get; init; }
}

/// <summary>GET /containers/{id}/stats?stream=false&amp;one-shot=true.</summary>
public sealed record DockerStats
{
    [JsonPropertyName("read")] public string? Read { get; init; }
    [JsonPropertyName("cpu_stats")] public DockerCpuStats? CpuStats { get; init; }
    [JsonPropertyName("memory_stats")] public DockerMemoryStats? MemoryStats { get; init; }
    /// <summary>Per interface of the container's own network namespace; absent with network mode host or none.</summary>
    [JsonPropertyName("networks")] public IReadOnlyDictionary<string, DockerNetworkStats>? Networks { get; init; }
}

public sealed record DockerCpuStats
{
    [JsonPropertyName("cpu_usage")] public DockerCpuUsage? CpuUsage { get; init; }
    [JsonPropertyName("throttling_data")] public DockerThrottling? Throttling { get; init; }
}

public sealed record DockerCpuUsage
{
    /// <summary>CPU time used, nanoseconds.</summary>
    [JsonPropertyName("total_usage")] public ulong TotalUsage { get; init; }
    [JsonPropertyName("usage_in_usermode")] public ulong? UserMode { get; init; }
    [JsonPropertyName("usage_in_kernelmode")] public ulong? KernelMode { get; init; }
}

public sealed record DockerThrottling
{
    [JsonPropertyName("periods")] public ulong Periods { get; init; }
    [JsonPropertyName("throttled_periods")] public ulong ThrottledPeriods { get; init; }
    /// <summary>Nanoseconds.</summary>
    [JsonPropertyName("throttled_time")] public ulong ThrottledTime { get; init; }
}

public sealed record DockerNetworkStats
{
    [JsonPropertyName("rx_bytes")] public ulong RxBytes { get; init; }
    [JsonPropertyName("tx_bytes")] public ulong TxBytes { get; init; }
    [JsonPropertyName("rx_packets")] public ulong RxPackets { get; init; }
    [JsonPropertyName("tx_packets")] public ulong TxPackets { get; init; }
}

public sealed record DockerMemoryStats
{
    [JsonPropertyName("usage")] public ulong Usage { get; init; }
    [JsonPropertyName("limit")] public ulong Limit { get; init; }
    /// <summary>cgroup memory.stat; "cache" (v1) or "inactive_file" (v2) is page cache that `docker stats` leaves out.</summary>
    [JsonPropertyName("stats")] public IReadOnlyDictionary<string, ulong>? Stats { get; init; }
}

/// <summary>The X-Registry-Auth payload (base64url JSON) for a pull from a private registry.</summary>
public sealed record RegistryAuth
{
    [JsonPropertyName("username")] public string? Username { get; init; }
    [JsonPropertyName("password")] public string? Password { get; init; }
    [JsonPropertyName("serveraddress")] public string? ServerAddress { get; init; }
}
