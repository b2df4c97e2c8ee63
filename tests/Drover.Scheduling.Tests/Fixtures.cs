using Drover.Core.Apps;
using Drover.Core.Cluster;
using Drover.Core.Json;

namespace Drover.Scheduling.Tests;

internal static class F
{
    public static readonly DateTimeOffset T0 = new(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);
    public static readonly string V1 = MarathonTime.ToWire(T0.AddHours(-2));
    public static readonly string V2 = MarathonTime.ToWire(T0.AddHours(-1));

    public static string At(DateTimeOffset t) => MarathonTime.ToWire(t);

    public static AgentInfo Agent(
        string id, double cpus = 4, double mem = 4096, double disk = 10_000,
        AgentStatus status = AgentStatus.Active, string? host = null,
        IReadOnlyDictionary<string, string>? attrs = null, PortRange[]? ports = null, DateTimeOffset? lastSeen = null) => new()
    {
        Id = id,
        Hostname = host ?? id + ".example",
        Resources = new AgentResources { Cpus = cpus, MemMb = mem, DiskMb = disk, Ports = ports ?? [new PortRange(31000, 32000)] },
        Attributes = attrs ?? new Dictionary<string, string>(),
        Status = status,
        RegisteredAt = At(T0.AddDays(-1)),
        LastSeenAt = At(lastSeen ?? T0),
    };

    /// <summary>An agent that can run Docker containers as well as processes.</summary>
    public static AgentInfo DockerAgent(string id) => Agent(id) with { Drivers = [TaskDrivers.Process, TaskDrivers.Docker] };

    public static Dictionary<string, string> Attrs(params string[] kv)
    {
        var d = new Dictionary<string, string>();
        for (var i = 0; i < kv.Length; i += 2) d[kv[i]] = kv[i + 1];
        return d;
    }

    public static AppDefinition App(
        string id = "/web", int instances = 1, double cpus = 1, double mem = 128, double disk = 0,
        int ports = 1, string[][]? constraints = null, string? version = null) => new()
    {
        Id = id,
        Cmd = "sleep 1000",
        Instances = instances,
        Cpus = cpus,
        Mem = mem,
        Disk = disk,
        PortDefinitions = Enumerable.Range(0, ports).Select(i => new PortDefinition { Port = 10_000 + i }).ToArray(),
        Constraints = constraints ?? [],
        Version = version ?? V1,
        VersionInfo = new VersionInfo { LastScalingAt = version ?? V1, LastConfigChangeAt = version ?? V1 },
    };

    /// <summary>What a scale-only update produces: a new version whose configuration is unchanged.</summary>
    public static AppDefinition Scaled(AppDefinition app, int instances, DateTimeOffset at) => app with
    {
        Instances = instances,
        Version = At(at),
        VersionInfo = new VersionInfo { LastScalingAt = At(at), LastConfigChangeAt = app.VersionInfo!.LastConfigChangeAt },
    };

    /// <summary>What a configuration change produces.</summary>
    public static AppDefinition Changed(AppDefinition app, DateTimeOffset at) => app with
    {
        Version = At(at),
        VersionInfo = new VersionInfo { LastScalingAt = At(at), LastConfigChangeAt = At(at) },
    };

    public static string[] C(params string[] parts) => parts;

    public static TaskRecord Task(
        string id, string appId, string agentId, TaskState state = TaskState.Running, string? version = null,
        DateTimeOffset? stagedAt = null, double cpus = 1, double mem = 128, int[]? ports = null,
        bool? healthy = null, bool killRequested = false) => new()
    {
        Id = id,
        AppId = appId,
        AgentId = agentId,
        Host = agentId + ".example",
        State = state,
        Version = version ?? V1,
        StagedAt = At(stagedAt ?? T0.AddMinutes(-30)),
        StartedAt = state == TaskState.Running ? At((stagedAt ?? T0.AddMinutes(-30)).AddSeconds(1)) : null,
        Cpus = cpus,
        MemMb = mem,
        Ports = ports ?? [],
        KillRequested = killRequested,
        HealthCheckResults = healthy is bool h ? [new HealthCheckResult { Alive = h, Status = h ? "passing" : "critical" }] : [],
    };

    public static PlacementResult Place(IReadOnlyList<AgentInfo> agents, params PlacementRequest[] requests) =>
        Placer.Place(new ClusterView(agents, []), requests);

    public static PlacementResult Place(IReadOnlyList<AgentInfo> agents, IReadOnlyList<TaskRecord> tasks, params PlacementRequest[] requests) =>
        Placer.Place(new ClusterView(agents, tasks), requests);

    public static Dictionary<string, int> CountByAgent(this PlacementResult r)
    {
        var d = new Dictionary<string, int>();
        foreach (var p in r.Placements) d[p.AgentId] = d.GetValueOrDefault(p.AgentId) + 1;
        return d;
    }

    public static RejectReason? Reason(this UnplacedApp u, string reason) => u.Reasons.FirstOrDefault(r => r.Reason == reason);
}
