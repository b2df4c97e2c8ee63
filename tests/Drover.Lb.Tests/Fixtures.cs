using Drover.Core.Apps;
using Drover.Core.Cluster;

namespace Drover.Lb.Tests;

internal static class Fixtures
{
    public const string V1 = "2024-01-01T00:00:00.000Z";

    public static AppDefinition App(string id, Dictionary<string, string>? labels = null, int servicePort = 10000, bool healthChecks = false) => new()
    {
        Id = id,
        Cmd = "x",
        Version = V1,
        Labels = labels ?? [],
        PortDefinitions = [new PortDefinition { Port = servicePort }],
        HealthChecks = healthChecks ? [new HealthCheckDefinition()] : [],
    };

    public static TaskRecord Task(string app, string id, int port, TaskState state = TaskState.Running, bool? alive = null, bool kill = false) => new()
    {
        Id = id,
        AppId = app,
        AgentId = "a1",
        Host = "127.0.0.1",
        State = state,
        Version = V1,
        StagedAt = V1,
        Ports = [port],
        KillRequested = kill,
        HealthCheckResults = alive is { } a ? [new HealthCheckResult { Alive = a }] : [],
    };
}
