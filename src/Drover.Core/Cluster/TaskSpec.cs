using Drover.Core.Apps;

namespace Drover.Core.Cluster;

/// <summary>Everything an agent needs to run one task: computed by the server at placement time.</summary>
public sealed record TaskSpec
{
    public required string TaskId { get; init; }
    public required string AppId { get; init; }
    public required string Version { get; init; }
    public string? Cmd { get; init; }
    public IReadOnlyList<string>? Args { get; init; }
    public string? User { get; init; }
    /// <summary>App env plus PORT0..n, PORTS, PORT_NAME, HOST, MARATHON_* / MESOS_TASK_ID and DROVER_* twins. The agent adds MESOS_SANDBOX.</summary>
    public IReadOnlyDictionary<string, string> Env { get; init; } = Empty.Strings;
    public double Cpus { get; init; }
    public double MemMb { get; init; }
    public double DiskMb { get; init; }
    public IReadOnlyList<int> Ports { get; init; } = [];
    /// <summary>Name of each host port (same index as <see cref="Ports"/>; null when unnamed), from the app's portDefinitions or portMappings.</summary>
    public IReadOnlyList<string?> PortNames { get; init; } = [];
    public IReadOnlyList<FetchUri> Fetch { get; init; } = [];
    public IReadOnlyList<HealthCheckDefinition> HealthChecks { get; init; } = [];
    public IReadOnlyList<ReadinessCheckDefinition> ReadinessChecks { get; init; } = [];
    public ContainerSpec? Container { get; init; }
    /// <summary>The app's networks (Marathon 1.5+), which say BRIDGE or USER for containers that do not set docker.network.</summary>
    public IReadOnlyList<NetworkSpec>? Networks { get; init; }
    public int KillGracePeriodSeconds { get; init; } = 3;
    /// <summary>The app's launch backoff (Marathon defaults), for restarts the agent makes itself while cut off from the server.</summary>
    public double BackoffSeconds { get; init; } = 1;
    public double BackoffFactor { get; init; } = 1.15;
    public double MaxLaunchDelaySeconds { get; init; } = 3600;
    public IReadOnlyDictionary<string, string> Labels { get; init; } = Empty.Strings;
}
