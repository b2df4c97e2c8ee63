using Drover.Api.Consul;
using Drover.Server.Discovery;

namespace Drover.Server.Consul;

/// <summary>Renders the discovery view in Consul's response shapes.</summary>
public static class ConsulRender
{
    public const string Datacenter = "dc1";

    public static ConsulNode Node(CatalogNodeEntry n) => new()
    {
        Id = n.Id,
        Node = n.Name,
        Address = n.Address,
        Datacenter = Datacenter,
        TaggedAddresses = new Dictionary<string, string> { ["lan"] = n.Address, ["wan"] = n.Address },
        Meta = n.Meta,
        CreateIndex = n.CreateIndex,
        ModifyIndex = n.ModifyIndex,
    };

    public static ConsulAgentService AgentService(CatalogEntry e) => new()
    {
        Id = e.Instance.Id,
        Service = e.Instance.Service,
        Tags = e.Instance.Tags,
        Meta = e.Instance.Meta,
        Port = e.Instance.Port,
        Address = e.ServiceAddress,
        Weights = new ConsulWeights { Passing = e.WeightPassing, Warning = e.WeightWarning },
        EnableTagOverride = e.EnableTagOverride,
        Datacenter = Datacenter,
        CreateIndex = e.CreateIndex,
        ModifyIndex = e.ModifyIndex,
    };

    public static ConsulCatalogService CatalogService(CatalogEntry e, CatalogNodeEntry node) => new()
    {
        Id = node.Id,
        Node = node.Name,
        Address = node.Address,
        Datacenter = Datacenter,
        TaggedAddresses = new Dictionary<string, string> { ["lan"] = node.Address, ["wan"] = node.Address },
        NodeMeta = node.Meta,
        ServiceId = e.Instance.Id,
        ServiceName = e.Instance.Service,
        ServiceTags = e.Instance.Tags,
        ServiceAddress = e.ServiceAddress,
        ServicePort = e.Instance.Port,
        ServiceMeta = e.Instance.Meta,
        ServiceEnableTagOverride = e.EnableTagOverride,
        ServiceWeights = new ConsulWeights { Passing = e.WeightPassing, Warning = e.WeightWarning },
        CreateIndex = e.CreateIndex,
        ModifyIndex = e.ModifyIndex,
    };

    public static ConsulHealthCheck Check(CatalogCheck c) => new()
    {
        Node = c.Node,
        CheckId = c.CheckId,
        Name = c.Name,
        Status = c.Status.ToWire(),
        Notes = c.Notes,
        Output = c.Output,
        ServiceId = c.ServiceId,
        ServiceName = c.ServiceName,
        ServiceTags = c.ServiceTags,
        Type = c.Type,
        CreateIndex = c.CreateIndex,
        ModifyIndex = c.ModifyIndex,
    };

    public static ConsulServiceEntry HealthEntry(DiscoveryView view, CatalogEntry e) => new()
    {
        Node = Node(view.Node(e.Instance.Node)!),
        Service = AgentService(e),
        Checks = view.AllChecks(e).Select(Check).ToList(),
    };

    /// <summary>Instances carrying every one of <paramref name="tags"/> (Consul's repeated ?tag= is an AND).</summary>
    public static bool HasTags(CatalogEntry e, IReadOnlyList<string> tags) =>
        tags.All(t => e.Instance.Tags.Contains(t, StringComparer.OrdinalIgnoreCase));

    /// <summary>?node-meta=key:value (repeatable, AND).</summary>
    public static bool HasNodeMeta(CatalogNodeEntry? node, IReadOnlyList<(string Key, string Value)> filters) =>
        filters.Count == 0 || (node is not null && filters.All(f => node.Meta.TryGetValue(f.Key, out var v) && v == f.Value));
}
