using Drover.Core.Apps;
using Drover.Core.Cluster;
using Drover.Core.Routing;
using Drover.Lb.Model;

namespace Drover.Lb.Planning;

/// <summary>An app the lb leaves out, and why (its labels were accepted by an older server, or changed behind its back).</summary>
public sealed record SkippedApp(string AppId, IReadOnlyList<LbProblem> Problems);

public sealed record DesiredResult(LbConfig Config, IReadOnlyList<SkippedApp> Skipped);

/// <summary>
/// The HAProxy state an lb of one group should have, from the cluster's apps and tasks. Pure. Only tasks that serve
/// (<see cref="TaskServing"/>) are servers; a task whose health is unknown keeps the state it had in
/// <c>lastGood</c>, so missing information never empties a backend.
/// </summary>
public static partial class DesiredState
{
    public static DesiredResult Build(IEnumerable<AppDefinition> apps, IEnumerable<TaskRecord> tasks, string group, LbConfig lastGood)
    {
        var tasksByApp = tasks.GroupBy(t => t.AppId).ToDictionary(g => g.Key, g => g.ToList());
        return Build(apps, group, lastGood,
            (app, portIndex, last) => Servers(app, portIndex, tasksByApp.GetValueOrDefault(app.Id) ?? [], last));
    }

    /// <summary>The shared part: labels → backends, routes and listeners; <paramref name="servers"/> gives each backend's servers.</summary>
    private static DesiredResult Build(IEnumerable<AppDefinition> apps, string group, LbConfig lastGood,
        Func<AppDefinition, int, LbBackend?, List<LbServer>> servers)
    {
        var backends = new List<LbBackend>();
        var routes = new List<HttpRoute>();
        var listeners = new List<PortListener>();
        var skipped = new List<SkippedApp>();
        foreach (var app in apps.OrderBy(a => a.Id, StringComparer.Ordinal))
        {
            var labels = LbLabels.Parse(app);
            if (!labels.InGroup(group)) continue;
            if (labels.Problems.Count > 0) { skipped.Add(new SkippedApp(app.Id, labels.Problems)); continue; }
            foreach (var route in labels.Routes)
            {
                var name = Names.Backend(app.Id, route.PortIndex);
                backends.Add(new LbBackend
                {
                    Name = name,
                    AppId = app.Id,
                    Mode = route.Mode,
                    Balance = route.Balance,
                    Sticky = route.Sticky,
                    HttpCheckPath = route.HttpCheckPath,
                    StripPrefix = route.StripPath ? route.Path : null,
                    Servers = servers(app, route.PortIndex, lastGood.Backend(name)),
                });
                if (route.IsHttpRouted) routes.Add(new HttpRoute(name, route.VHosts, route.Path));
                if (route.ServicePort != 0) listeners.Add(new PortListener(route.ServicePort, route.Mode, name));
            }
        }
        // Two apps claiming one service port: the first (by app id) keeps it; the server normally prevents this.
        listeners = [.. listeners.GroupBy(l => l.Port).Select(g => g.First()).OrderBy(l => l.Port)];
        var config = new LbConfig { Backends = backends, HttpRoutes = [.. OrderRoutes(routes)], Listeners = listeners };
        return new DesiredResult(config, skipped);
    }

    /// <summary>Longest path first, so "/api/v2" wins over "/api"; host-specific rules before host-less ones at equal length.</summary>
    private static IEnumerable<HttpRoute> OrderRoutes(List<HttpRoute> routes) =>
        routes.OrderByDescending(r => r.Path?.Length ?? 0).ThenBy(r => r.Hosts.Count == 0).ThenBy(r => r.Backend, StringComparer.Ordinal);

    private static List<LbServer> Servers(AppDefinition app, int portIndex, List<TaskRecord> tasks, LbBackend? last)
    {
        var servers = new List<LbServer>();
        foreach (var task in tasks)
        {
            if (portIndex >= task.Ports.Count) continue;
            var name = Names.Server(task.Id);
            var state = TaskServing.Of(task, app) switch
            {
                Serving.Serve => ServerState.Ready,
                Serving.Drain => ServerState.Drain,
                Serving.Unknown => last?.Servers.FirstOrDefault(s => s.Name == name)?.State,
                _ => (ServerState?)null,
            };
            if (state is { } s) servers.Add(new LbServer(name, task.Id, task.Host, task.Ports[portIndex], s));
        }
        servers.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        return servers;
    }
}
