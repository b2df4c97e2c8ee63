using Drover.Core.Discovery;
using Drover.State;

namespace Drover.Server.Discovery;

/// <summary>A health check of an instance or node, with everything Consul's check JSON shows.</summary>
public sealed record CatalogCheck
{
    public required string Node { get; init; }
    public required string CheckId { get; init; }
    public required string Name { get; init; }
    public HealthStatus Status { get; init; }
    public string Notes { get; init; } = "";
    public string Output { get; init; } = "";
    /// <summary>"" for node checks.</summary>
    public string ServiceId { get; init; } = "";
    public string ServiceName { get; init; } = "";
    public IReadOnlyList<string> ServiceTags { get; init; } = [];
    /// <summary>ttl, http, tcp, script; "" for node checks.</summary>
    public string Type { get; init; } = "";
    public long CreateIndex { get; init; }
    public long ModifyIndex { get; init; }
}

/// <summary>One service instance with its checks and store indexes (what the Consul API renders).</summary>
public sealed record CatalogEntry
{
    public required ServiceInstance Instance { get; init; }
    /// <summary>Address as registered: "" means the node's address (Consul's ServiceAddress).</summary>
    public string ServiceAddress { get; init; } = "";
    /// <summary>The instance's own checks (node checks are on its <see cref="CatalogNodeEntry"/>).</summary>
    public IReadOnlyList<CatalogCheck> Checks { get; init; } = [];
    public bool EnableTagOverride { get; init; }
    public int WeightPassing { get; init; } = 1;
    public int WeightWarning { get; init; } = 1;
    /// <summary>True for services registered through the agent API (they live on the server's node).</summary>
    public bool External { get; init; }
    public long CreateIndex { get; init; }
    public long ModifyIndex { get; init; }
}

public sealed record CatalogNodeEntry
{
    public required string Id { get; init; }
    public required string Name { get; init; }
    public required string Address { get; init; }
    public IReadOnlyDictionary<string, string> Meta { get; init; } = new Dictionary<string, string>();
    /// <summary>Node-level checks (serfHealth, and node checks registered through the agent API).</summary>
    public IReadOnlyList<CatalogCheck> Checks { get; init; } = [];
    public long CreateIndex { get; init; }
    public long ModifyIndex { get; init; }
}

/// <summary>
/// What contributed to a part of the catalog: the highest ModifyIndex of the store entries it was built from and
/// how many there were. Any put raises Max (every batch has a new index); a delete lowers Count. So two views
/// built from different states have the same signature for a service exactly when its inputs are unchanged.
/// </summary>
public readonly record struct Signature(long Max, int Count)
{
    public Signature Add(long modifyIndex) => new(Math.Max(Max, modifyIndex), Count + 1);
    public Signature Add(Signature other) => new(Math.Max(Max, other.Max), Count + other.Count);
}

/// <summary>
/// The whole discovery catalog at one store index: the shared <see cref="CatalogSnapshot"/> (for DNS and the
/// load balancer) plus the Consul-level detail (checks, indexes, nodes) and change signatures.
/// </summary>
public sealed class DiscoveryView
{
    public required CatalogSnapshot Catalog { get; init; }
    /// <summary>Sorted by service, node, id.</summary>
    public required IReadOnlyList<CatalogEntry> Entries { get; init; }
    public required IReadOnlyDictionary<string, IReadOnlyList<CatalogEntry>> ByService { get; init; }
    /// <summary>Sorted by name.</summary>
    public required IReadOnlyList<CatalogNodeEntry> Nodes { get; init; }
    public required IReadOnlyDictionary<string, CatalogNodeEntry> NodesByName { get; init; }
    /// <summary>The server's node, where services registered through the agent API live.</summary>
    public required string LocalNode { get; init; }
    /// <summary>Per service: the inputs it was built from (see <see cref="Signature"/>).</summary>
    public required IReadOnlyDictionary<string, Signature> ServiceSignatures { get; init; }
    /// <summary>Inputs of everything in the view.</summary>
    public required Signature Signature { get; init; }

    public long Index => Catalog.Index;

    /// <summary>The inputs each task instance was built from, so the next build can reuse unchanged ones.</summary>
    internal IReadOnlyDictionary<string, TaskMemo> TaskMemos { get; init; } = new Dictionary<string, TaskMemo>();

    public IReadOnlyList<CatalogEntry> Service(string name) => ByService.TryGetValue(name, out var l) ? l : [];

    public CatalogNodeEntry? Node(string name) => NodesByName.GetValueOrDefault(name);

    /// <summary>Node checks of the instance's node followed by the instance's own checks (Consul's order).</summary>
    public IEnumerable<CatalogCheck> AllChecks(CatalogEntry e) =>
        (Node(e.Instance.Node)?.Checks ?? []).Concat(e.Checks);
}

/// <summary>A task instance and the store entries it was built from (compared by reference: entries are immutable).</summary>
internal sealed record TaskMemo(StateEntry Task, StateEntry? App, StateEntry? Tags, Signature Node, CatalogEntry Entry)
{
    public bool SameInputs(TaskMemo other) =>
        ReferenceEquals(Task, other.Task) && ReferenceEquals(App, other.App) && ReferenceEquals(Tags, other.Tags) && Node == other.Node;
}

public static class HealthStatuses
{
    public static string ToWire(this HealthStatus s) => s switch
    {
        HealthStatus.Passing => "passing",
        HealthStatus.Warning => "warning",
        _ => "critical",
    };

    public static bool TryParse(string? s, out HealthStatus status)
    {
        switch (s?.Trim().ToLowerInvariant())
        {
            case "passing": status = HealthStatus.Passing; return true;
            case "warning": status = HealthStatus.Warning; return true;
            case "critical": status = HealthStatus.Critical; return true;
            default: status = HealthStatus.Critical; return false;
        }
    }

    public static HealthStatus Worst(HealthStatus a, HealthStatus b) => a > b ? a : b;

    public static HealthStatus Worst(IEnumerable<CatalogCheck> checks)
    {
        var worst = HealthStatus.Passing;
        foreach (var c in checks) worst = Worst(worst, c.Status);
        return worst;
    }
}
