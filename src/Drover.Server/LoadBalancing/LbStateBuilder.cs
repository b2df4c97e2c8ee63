using Drover.Api.LoadBalancing;
using Drover.Core.Apps;
using Drover.Core.Cluster;
using Drover.Scheduling;
using Drover.State;
using Drover.Server.Storage;

namespace Drover.Server.LoadBalancing;

/// <summary>Projects a store snapshot onto what load balancers route by (apps, their ports and labels, their tasks).</summary>
public static class LbStateBuilder
{
    public static IReadOnlyList<LbApp> Build(StateSnapshot s)
    {
        var tasksByApp = s.All(Schema.Tasks).ToLookup(t => t.AppId, StringComparer.Ordinal);
        var addresses = Addresses(s);
        return [.. s.All(Schema.Apps).Select(app => App(app, tasksByApp[app.Id], addresses))];
    }

    /// <summary>Each agent's IP address (null when it has none): what a task's <see cref="LbTask.Address"/> comes from.</summary>
    public static Dictionary<string, string?> Addresses(StateSnapshot s) =>
        s.All(Schema.Agents).ToDictionary(a => a.Id, a => a.IpAddress(), StringComparer.Ordinal);

    /// <summary>One app and its tasks; a pure function of them and their agents' addresses (what <see cref="LbStateCache"/> keys on).</summary>
    public static LbApp App(AppDefinition app, IEnumerable<TaskRecord> tasks, Dictionary<string, string?> addresses)
    {
        var (mode, ports) = Ports(app);
        return new LbApp
        {
            Id = app.Id,
            Version = app.Version ?? "",
            Labels = app.Labels,
            NetworkMode = mode,
            Ports = ports,
            HasHealthChecks = app.HealthChecks.Count > 0,
            HasReadinessChecks = app.ReadinessChecks.Count > 0,
            Tasks = [.. tasks.Select(t => Task(t, app, addresses))],
        };
    }

    private static LbTask Task(TaskRecord t, AppDefinition app, Dictionary<string, string?> addresses) => new()
    {
        Id = t.Id,
        AgentId = t.AgentId,
        Host = t.Host,
        Address = addresses.GetValueOrDefault(t.AgentId),
        Ports = t.Ports,
        State = t.State.ToWire(),
        Version = t.Version,
        Healthy = TaskHealth.IsHealthy(t, app),
        Ready = TaskHealth.IsReady(t, app),
        HealthKnown = t.HealthCheckResults.Count > 0,
        Draining = t.Draining,
        KillRequested = t.KillRequested,
    };

    /// <summary>The app's ports in the order of its tasks' host ports (as <see cref="AppPorts.HostPorts"/> orders them).</summary>
    private static (string Mode, IReadOnlyList<LbPort> Ports) Ports(AppDefinition app)
    {
        var docker = app.Container?.Docker;
        var mode = string.Equals(docker?.Network, "BRIDGE", StringComparison.OrdinalIgnoreCase) ? "container/bridge"
            : string.Equals(docker?.Network, "USER", StringComparison.OrdinalIgnoreCase) ? "container" : "host";
        foreach (var n in app.Networks ?? [])
        {
            if (string.Equals(n.Mode, "container/bridge", StringComparison.OrdinalIgnoreCase)) mode = "container/bridge";
            else if (string.Equals(n.Mode, "container", StringComparison.OrdinalIgnoreCase) && mode == "host") mode = "container";
        }
        if (mode == "host")
            return (mode, [.. app.PortDefinitions.Select(d => new LbPort { ServicePort = d.Port, Protocol = d.Protocol, Name = d.Name, Labels = d.Labels })]);
        var mappings = app.Container?.PortMappings ?? docker?.PortMappings ?? [];
        return (mode, [.. mappings
            .Where(m => mode == "container/bridge" || m.HostPort is not null)
            .Select(m => new LbPort
            {
                ServicePort = m.ServicePort, ContainerPort = m.ContainerPort, Protocol = m.Protocol, Name = m.Name,
                Labels = m.Labels ?? Empty.Strings,
            })]);
    }
}
