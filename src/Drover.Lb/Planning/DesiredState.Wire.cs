using System.Net;
using Drover.Api.LoadBalancing;
using Drover.Core.Apps;
using Drover.Lb.Model;

namespace Drover.Lb.Planning;

public static partial class DesiredState
{
    /// <summary>
    /// The desired state from the server's lb watch snapshot, which already carries the server's judgement of each task
    /// (<see cref="LbTask.Ready"/>, <see cref="LbTask.Draining"/>, <see cref="LbTask.HealthKnown"/>). A task's host
    /// becomes an IP through <paramref name="resolve"/> (HAProxy's "add server" takes addresses); one that does not
    /// resolve keeps its last good server, if any.
    /// </summary>
    public static DesiredResult Build(LbState state, string group, LbConfig lastGood, Func<string, string?> resolve)
    {
        var byId = state.Apps.ToDictionary(a => a.Id);
        var apps = state.Apps.Select(a => new AppDefinition
        {
            Id = a.Id,
            Version = a.Version,
            Labels = a.Labels,
            // The snapshot's ports are already the service ports in label order, whatever the networking mode.
            PortDefinitions = [.. a.Ports.Select(p => new PortDefinition { Port = p.ServicePort, Protocol = p.Protocol, Name = p.Name, Labels = p.Labels })],
        });
        return Build(apps, group, lastGood, (app, portIndex, last) => Servers(byId[app.Id], portIndex, last, resolve));
    }

    /// <summary>What the lb may do with a task's server, from the server's flags (see <see cref="TaskServing"/> for the rules).</summary>
    public static Serving Of(LbTask task, LbApp app)
    {
        if (task.Draining || task.KillRequested || task.State == "TASK_KILLING") return Serving.Drain;
        if (task.State == "TASK_UNREACHABLE") return Serving.Unknown;
        if (task.State != "TASK_RUNNING") return Serving.Out;
        if (task.Ready) return Serving.Serve;
        // No health result yet (e.g. just after a server failover): keep what was served, add nothing new.
        return app.HasHealthChecks && !task.HealthKnown ? Serving.Unknown : Serving.Out;
    }

    private static List<LbServer> Servers(LbApp app, int portIndex, LbBackend? last, Func<string, string?> resolve)
    {
        var servers = new List<LbServer>();
        foreach (var task in app.Tasks)
        {
            if (portIndex >= task.Ports.Count) continue;
            var name = Names.Server(task.Id);
            var lastServer = last?.Servers.FirstOrDefault(s => s.Name == name);
            var state = Of(task, app) switch
            {
                Serving.Serve => ServerState.Ready,
                Serving.Drain => ServerState.Drain,
                Serving.Unknown => lastServer?.State,
                _ => (ServerState?)null,
            };
            if (state is not { } st) continue;
            var address = task.Address ?? (IPAddress.TryParse(task.Host, out _) ? task.Host : resolve(task.Host)) ?? lastServer?.Address;
            if (address is null) continue;
            servers.Add(new LbServer(name, task.Id, address, task.Ports[portIndex], st));
        }
        servers.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        return servers;
    }
}
