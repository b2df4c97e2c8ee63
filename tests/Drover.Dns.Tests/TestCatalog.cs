using Drover.Core.Discovery;

namespace Drover.Dns.Tests;

/// <summary>A small catalog covering the name cases: app tasks, bridge addresses, health states, failover, IPv6.</summary>
internal static class TestCatalog
{
    public static ServiceInstance Instance(string service, int n, string node, string address, int port,
        HealthStatus health = HealthStatus.Passing, string[]? tags = null, string? appId = null, int[]? ports = null) => new()
    {
        Service = service,
        Id = $"{service}.{n:D4}",
        Node = node,
        Address = address,
        Port = port,
        Ports = ports ?? (port > 0 ? [port] : []),
        Tags = tags ?? [],
        Health = health,
        AppId = appId,
    };

    public static CatalogSnapshot Build(params ServiceInstance[] extra) => new()
    {
        Index = 42,
        Nodes = [new CatalogNode("node-1", "10.0.0.1"), new CatalogNode("node-2", "10.0.0.2"), new CatalogNode("node-3", "10.0.0.3")],
        Instances =
        [
            Instance("web", 1, "node-1", "10.0.0.1", 31001, tags: ["v1", "blue"], appId: "/web", ports: [31001, 31101]),
            Instance("web", 2, "node-2", "10.0.0.2", 31002, tags: ["v1"], appId: "/web", ports: [31002, 31102]),
            Instance("web", 3, "node-3", "10.0.0.3", 31003, tags: ["v2"], appId: "/web", ports: [31003, 31103]),
            Instance("api", 1, "node-1", "172.17.0.5", 8080, tags: ["http"]),
            Instance("db", 1, "node-1", "10.0.0.1", 3306, HealthStatus.Passing, ["master"]),
            Instance("db", 2, "node-2", "10.0.0.2", 3306, HealthStatus.Warning, ["slave"]),
            Instance("db", 3, "node-3", "10.0.0.3", 3306, HealthStatus.Critical, ["slave"]),
            Instance("down", 1, "node-1", "10.0.0.1", 9000, HealthStatus.Critical),
            Instance("v6", 1, "node-1", "fd00::1", 7000),
            .. extra,
        ],
        Failover = [new FailoverPolicy { Service = "db", TagPriority = ["master", "slave"] }],
        Leader = "10.0.0.9:8080",
    };
}
