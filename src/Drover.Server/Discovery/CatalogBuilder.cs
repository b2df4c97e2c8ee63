using System.Net;
using Drover.Core.Apps;
using Drover.Core.Cluster;
using Drover.Core.Discovery;
using Drover.Core.Net;
using Drover.State;
using Drover.Server.Storage;

namespace Drover.Server.Discovery;

/// <summary>The server's own node: where services registered through the agent API live.</summary>
public sealed record LocalNode(string Name, string Address, string Id, string? Leader = null);

/// <summary>
/// Builds the discovery catalog from one state snapshot. Pure: no I/O, no clock; the same snapshot gives the
/// same catalog.
/// </summary>
/// <remarks>
/// App tasks: only TASK_RUNNING tasks on a known agent. Health of a task's checks, from the agent's results:
/// not alive → critical; alive → the result's status (passing or warning); a check of the app without a result
/// yet (the task is still in its grace period) → critical, as Consul starts every check critical, so traffic
/// reaches a task only once it has passed its checks. A task of an app without health checks is passing.
/// Every instance also carries its node's serfHealth (critical when the agent is unreachable).
/// </remarks>
public static class CatalogBuilder
{
    public const string SerfHealth = "serfHealth";

    public static CatalogSnapshot BuildSnapshot(StateSnapshot s, LocalNode local) => Build(s, local).Catalog;

    /// <summary>
    /// Builds the view of <paramref name="s"/>. <paramref name="previous"/> is only a memo: instances whose inputs are the
    /// same store entries as in it are reused instead of rebuilt, so a rebuild after one task changed costs little more
    /// than a walk over the tasks. The result is the same with or without it.
    /// </summary>
    public static DiscoveryView Build(StateSnapshot s, LocalNode local, DiscoveryView? previous = null)
    {
        var nodes = new Dictionary<string, CatalogNodeEntry>(StringComparer.Ordinal);
        var nodeSignatures = new Dictionary<string, Signature>(StringComparer.Ordinal);
        var nodeOfAgent = new Dictionary<string, CatalogNodeEntry>(StringComparer.Ordinal);
        var total = default(Signature);

        foreach (var e in s.Entries(Schema.Agents.Name).Values)
        {
            var agent = StateSnapshot.Decode(Schema.Agents, e);
            if (nodes.TryGetValue(agent.Hostname, out var existing))
            {
                nodeOfAgent[agent.Id] = existing; // two agents claiming one hostname share the node
                continue;
            }
            var node = AgentNode(agent, e);
            nodes[node.Name] = node;
            nodeOfAgent[agent.Id] = node;
            nodeSignatures[node.Name] = default(Signature).Add(e.ModifyIndex);
        }

        // The server's node, with node checks registered through the agent API.
        var localChecks = new List<CatalogCheck>();
        var localSig = default(Signature);
        var checksByService = new Dictionary<string, List<(ExternalCheck Check, StateEntry Entry)>>(StringComparer.Ordinal);
        foreach (var e in s.Entries(Schema.Checks.Name).Values)
        {
            var c = StateSnapshot.Decode(Schema.Checks, e);
            if (c.ServiceId.Length == 0)
            {
                localChecks.Add(ExternalCheckView(c, e, local.Name, null));
                localSig = localSig.Add(e.ModifyIndex);
                continue;
            }
            if (!checksByService.TryGetValue(c.ServiceId, out var list)) checksByService[c.ServiceId] = list = [];
            list.Add((c, e));
        }
        if (nodes.TryGetValue(local.Name, out var sameHost))
        {
            nodes[local.Name] = sameHost with { Checks = [.. sameHost.Checks, .. localChecks] };
            nodeSignatures[local.Name] = nodeSignatures[local.Name].Add(localSig);
        }
        else
        {
            nodes[local.Name] = new CatalogNodeEntry
            {
                Id = local.Id,
                Name = local.Name,
                Address = local.Address,
                Checks = [Serf(local.Name, HealthStatus.Passing, 1), .. localChecks],
                CreateIndex = 1,
                ModifyIndex = 1,
            };
            nodeSignatures[local.Name] = localSig.Add(1);
        }
        var localNode = nodes[local.Name];

        var entries = new List<CatalogEntry>();
        var serviceSignatures = new Dictionary<string, Signature>(StringComparer.Ordinal);
        void AddEntry(CatalogEntry entry, Signature inputs)
        {
            entries.Add(entry);
            var name = entry.Instance.Service;
            serviceSignatures[name] = serviceSignatures.GetValueOrDefault(name).Add(inputs);
        }

        var memo = new Dictionary<string, TaskMemo>(StringComparer.Ordinal);
        var previousMemo = previous?.TaskMemos;
        var appEntries = new Dictionary<(string, string), StateEntry?>();
        var versions = s.Entries(Schema.AppVersions.Name);
        var apps = s.Entries(Schema.Apps.Name);
        var taskTags = s.Entries(Schema.TaskTags.Name);
        foreach (var e in s.Entries(Schema.Tasks.Name).Values)
        {
            var task = StateSnapshot.Decode(Schema.Tasks, e);
            if (task.State != TaskState.Running || !nodeOfAgent.TryGetValue(task.AgentId, out var node)) continue;
            var nodeSig = nodeSignatures[node.Name];
            var inputs = default(Signature).Add(e.ModifyIndex).Add(nodeSig);
            if (!appEntries.TryGetValue((task.AppId, task.Version), out var appEntry))
            {
                appEntry = versions.GetValueOrDefault(Schema.VersionKey(task.AppId, task.Version)) ?? apps.GetValueOrDefault(task.AppId);
                appEntries[(task.AppId, task.Version)] = appEntry;
            }
            if (appEntry is not null) inputs = inputs.Add(appEntry.ModifyIndex);
            var tagsEntry = taskTags.GetValueOrDefault(task.Id);
            if (tagsEntry is not null) inputs = inputs.Add(tagsEntry.ModifyIndex);
            var key = new TaskMemo(e, appEntry, tagsEntry, nodeSig, null!);
            CatalogEntry entry;
            if (previousMemo is not null && previousMemo.TryGetValue(task.Id, out var old) && old.SameInputs(key)) entry = old.Entry;
            else
            {
                var app = appEntry is null ? null : StateSnapshot.Decode(Schema.AppVersions, appEntry);
                entry = TaskEntry(task, e, app, tagsEntry, node);
            }
            memo[task.Id] = key with { Entry = entry };
            AddEntry(entry, inputs);
        }

        foreach (var e in s.Entries(Schema.Services.Name).Values)
        {
            var svc = StateSnapshot.Decode(Schema.Services, e);
            var inputs = default(Signature).Add(e.ModifyIndex).Add(nodeSignatures[local.Name]);
            var checks = new List<CatalogCheck>();
            foreach (var (c, ce) in checksByService.GetValueOrDefault(svc.Id) ?? [])
            {
                checks.Add(ExternalCheckView(c, ce, localNode.Name, svc));
                inputs = inputs.Add(ce.ModifyIndex);
            }
            AddEntry(ExternalEntry(svc, e, checks, localNode), inputs);
        }

        entries.Sort(static (a, b) =>
        {
            var c = string.CompareOrdinal(a.Instance.Service, b.Instance.Service);
            if (c == 0) c = string.CompareOrdinal(a.Instance.Node, b.Instance.Node);
            return c != 0 ? c : string.CompareOrdinal(a.Instance.Id, b.Instance.Id);
        });
        var byService = new Dictionary<string, IReadOnlyList<CatalogEntry>>(StringComparer.Ordinal);
        foreach (var group in entries.GroupBy(x => x.Instance.Service, StringComparer.Ordinal))
            byService[group.Key] = group.ToList();

        var (failover, failoverSig) = FailoverPolicies(s);
        foreach (var sig in serviceSignatures.Values) total = total.Add(sig);
        foreach (var sig in nodeSignatures.Values) total = total.Add(sig);
        total = total.Add(failoverSig);

        var nodeList = nodes.Values.OrderBy(n => n.Name, StringComparer.Ordinal).ToList();
        var catalog = new CatalogSnapshot
        {
            Index = s.Index,
            Instances = entries.Select(x => x.Instance).ToList(),
            Nodes = nodeList.Select(n => new CatalogNode(n.Name, n.Address)).ToList(),
            Failover = failover,
            Leader = local.Leader,
            LeaderAddress = local.Leader is { } l ? HostOf(l) : null,
        };
        return new DiscoveryView
        {
            Catalog = catalog,
            Entries = entries,
            ByService = byService,
            Nodes = nodeList,
            NodesByName = nodes,
            LocalNode = local.Name,
            ServiceSignatures = serviceSignatures,
            Signature = total,
            TaskMemos = memo,
        };
    }

    /// <summary>
    /// Failover policies from app labels, then from external services' Meta (same keys). One policy per service
    /// name: apps win over external services, then the lowest app id / service ID.
    /// </summary>
    private static (IReadOnlyList<FailoverPolicy>, Signature) FailoverPolicies(StateSnapshot s)
    {
        var policies = new Dictionary<string, FailoverPolicy>(StringComparer.Ordinal);
        var sig = default(Signature);
        foreach (var e in s.Entries(Schema.Apps.Name).Values)
        {
            var app = StateSnapshot.Decode(Schema.Apps, e);
            if (!app.Labels.ContainsKey(DiscoveryLabels.Failover)) continue;
            sig = sig.Add(e.ModifyIndex);
            var name = DiscoveryLabels.ServiceNameOf(app.Id, app.Labels);
            if (DiscoveryLabels.FailoverOf(name, app.Labels) is { } p) policies.TryAdd(name, p);
        }
        foreach (var e in s.Entries(Schema.Services.Name).Values)
        {
            var svc = StateSnapshot.Decode(Schema.Services, e);
            if (DiscoveryLabels.FailoverOf(svc.Name, svc.Meta) is { } p) policies.TryAdd(svc.Name, p);
        }
        return (policies.Values.OrderBy(p => p.Service, StringComparer.Ordinal).ToList(), sig);
    }

    private static CatalogNodeEntry AgentNode(AgentInfo agent, StateEntry e)
    {
        var health = agent.Status == AgentStatus.Unreachable ? HealthStatus.Critical : HealthStatus.Passing;
        return new CatalogNodeEntry
        {
            Id = agent.Id,
            Name = agent.Hostname,
            Address = AgentAddress(agent),
            Meta = agent.Attributes,
            Checks = [Serf(agent.Hostname, health, e.ModifyIndex, e.CreateIndex)],
            CreateIndex = e.CreateIndex,
            ModifyIndex = e.ModifyIndex,
        };
    }

    private static CatalogCheck Serf(string node, HealthStatus status, long modifyIndex, long createIndex = 1) => new()
    {
        Node = node,
        CheckId = SerfHealth,
        Name = "Serf Health Status",
        Status = status,
        Output = status == HealthStatus.Passing ? "Agent alive and reachable" : "Agent not live or unreachable",
        CreateIndex = createIndex,
        ModifyIndex = modifyIndex,
    };

    /// <summary>The agent's IP: its hostname if that is an IP, else the host of its endpoint URL, else the hostname itself.</summary>
    public static string AgentAddress(AgentInfo agent) => agent.IpAddress() ?? agent.Hostname;

    private static CatalogEntry TaskEntry(TaskRecord task, StateEntry e, AppDefinition? app, StateEntry? tagsEntry, CatalogNodeEntry node)
    {
        var labels = app?.Labels ?? Empty.Strings;
        var service = DiscoveryLabels.ServiceNameOf(task.AppId, labels);
        var tags = tagsEntry is not null
            ? StateSnapshot.Decode(Schema.TaskTags, tagsEntry).Tags
            : DiscoveryLabels.SplitList(labels.GetValueOrDefault(DiscoveryLabels.Tags));
        var meta = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["drover_app_id"] = task.AppId,
            ["drover_task_id"] = task.Id,
            ["drover_version"] = task.Version,
        };
        var portDefs = app?.PortDefinitions ?? [];
        for (var i = 0; i < task.Ports.Count && i < portDefs.Count; i++)
        {
            if (portDefs[i].Name is { Length: > 0 } pn) meta["drover_port_" + pn] = task.Ports[i].ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        var checks = TaskChecks(task, e, app, service, tags, node.Name);
        var instance = new ServiceInstance
        {
            Service = service,
            Id = task.Id,
            Node = node.Name,
            Address = node.Address,
            Port = task.Ports.Count > 0 ? task.Ports[0] : 0,
            Ports = task.Ports,
            Tags = tags,
            Meta = meta,
            Health = HealthStatuses.Worst(HealthStatuses.Worst(node.Checks), HealthStatuses.Worst(checks)),
            AppId = task.AppId,
        };
        return new CatalogEntry
        {
            Instance = instance,
            ServiceAddress = node.Address,
            Checks = checks,
            CreateIndex = e.CreateIndex,
            ModifyIndex = e.ModifyIndex,
        };
    }

    private static List<CatalogCheck> TaskChecks(TaskRecord task, StateEntry e, AppDefinition? app, string service, IReadOnlyList<string> tags, string node)
    {
        var defs = app?.HealthChecks ?? [];
        var results = task.HealthCheckResults;
        var n = Math.Max(defs.Count, results.Count);
        var checks = new List<CatalogCheck>(n);
        for (var i = 0; i < n; i++)
        {
            var def = i < defs.Count ? defs[i] : null;
            var r = i < results.Count ? results[i] : null;
            HealthStatus status;
            string output;
            if (r is null)
            {
                status = HealthStatus.Critical;
                output = "no result yet: the task is starting";
            }
            else if (!r.Alive)
            {
                status = HealthStatus.Critical;
                output = r.LastFailureCause ?? "";
            }
            else
            {
                status = HealthStatuses.TryParse(r.Status, out var parsed) ? parsed : HealthStatus.Passing;
                output = status == HealthStatus.Warning ? r.LastFailureCause ?? "" : "";
            }
            checks.Add(new CatalogCheck
            {
                Node = node,
                CheckId = n == 1 ? $"service:{task.Id}" : $"service:{task.Id}:{i + 1}",
                Name = def is null ? $"Service '{service}' check" : Describe(def),
                Status = status,
                Output = output,
                ServiceId = task.Id,
                ServiceName = service,
                ServiceTags = tags,
                Type = def is null ? "" : TypeOf(def.Protocol),
                CreateIndex = e.CreateIndex,
                ModifyIndex = e.ModifyIndex,
            });
        }
        return checks;
    }

    private static string Describe(HealthCheckDefinition d) => d.Protocol switch
    {
        HealthProtocols.Command => "COMMAND " + (d.Command?.Value ?? ""),
        HealthProtocols.Tcp or HealthProtocols.MesosTcp => d.Protocol,
        _ => $"{d.Protocol} {d.Path ?? "/"}",
    };

    private static string TypeOf(string protocol) => protocol switch
    {
        HealthProtocols.Tcp or HealthProtocols.MesosTcp => "tcp",
        HealthProtocols.Command => "script",
        _ => "http",
    };

    private static CatalogEntry ExternalEntry(ExternalService svc, StateEntry e, IReadOnlyList<CatalogCheck> checks, CatalogNodeEntry node)
    {
        var instance = new ServiceInstance
        {
            Service = svc.Name,
            Id = svc.Id,
            Node = node.Name,
            Address = svc.Address.Length > 0 ? svc.Address : node.Address,
            Port = svc.Port,
            Ports = svc.Port > 0 ? [svc.Port] : [],
            Tags = svc.Tags,
            Meta = svc.Meta,
            Health = HealthStatuses.Worst(HealthStatuses.Worst(node.Checks), HealthStatuses.Worst(checks)),
        };
        return new CatalogEntry
        {
            Instance = instance,
            ServiceAddress = svc.Address,
            Checks = checks,
            EnableTagOverride = svc.EnableTagOverride,
            WeightPassing = svc.WeightPassing,
            WeightWarning = svc.WeightWarning,
            External = true,
            CreateIndex = e.CreateIndex,
            ModifyIndex = e.ModifyIndex,
        };
    }

    private static CatalogCheck ExternalCheckView(ExternalCheck c, StateEntry e, string node, ExternalService? svc) => new()
    {
        Node = node,
        CheckId = c.CheckId,
        Name = c.Name,
        Status = c.Status,
        Notes = c.Notes,
        Output = c.Output,
        ServiceId = c.ServiceId,
        ServiceName = svc?.Name ?? "",
        ServiceTags = svc?.Tags ?? [],
        Type = c.Definition.Type,
        CreateIndex = e.CreateIndex,
        ModifyIndex = e.ModifyIndex,
    };

    private static string HostOf(string hostPort) => HostPort.HostOf(hostPort);

}
