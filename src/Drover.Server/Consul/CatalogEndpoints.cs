using Drover.Api.Consul;
using Drover.Core.Discovery;
using Drover.Server.Discovery;
using Drover.Server.Http;
using Drover.State;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Drover.Server.Consul;

/// <summary>
/// /v1/catalog/*, /v1/health/*, /v1/status/*: read-only, blocking on the catalog's change indexes. The whole-catalog
/// endpoints use the index at which anything in the catalog last changed; the per-service ones the index at which
/// that service last changed.
/// </summary>
public static class CatalogEndpoints
{
    public static void MapConsulCatalog(this RouteGroupBuilder v1)
    {
        v1.MapGet("/catalog/datacenters", () => Json(new List<string> { ConsulRender.Datacenter }, ConsulJsonContext.Default.ListString));

        v1.MapGet("/catalog/services", async (HttpContext ctx, CatalogService catalog, IStateStore store, TimeProvider time) =>
        {
            var nodeMeta = NodeMeta(ctx.Request);
            var state = await BlockAsync(ctx, catalog, store, time, s => s.ChangedIndex);
            var result = new Dictionary<string, List<string>>(StringComparer.Ordinal);
            foreach (var (name, entries) in state.View.ByService)
            {
                var matching = entries.Where(e => ConsulRender.HasNodeMeta(state.View.Node(e.Instance.Node), nodeMeta)).ToList();
                if (matching.Count == 0) continue;
                result[name] = matching.SelectMany(e => e.Instance.Tags).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
            }
            return Json(result, ConsulJsonContext.Default.DictionaryStringListString);
        });

        v1.MapGet("/catalog/service/{name}", async (string name, HttpContext ctx, CatalogService catalog, IStateStore store, TimeProvider time) =>
        {
            var tags = Tags(ctx.Request);
            var nodeMeta = NodeMeta(ctx.Request);
            var state = await BlockAsync(ctx, catalog, store, time, s => s.ServiceIndex(name));
            var view = state.View;
            var list = view.Service(name)
                .Where(e => ConsulRender.HasTags(e, tags) && ConsulRender.HasNodeMeta(view.Node(e.Instance.Node), nodeMeta))
                .Select(e => ConsulRender.CatalogService(e, view.Node(e.Instance.Node)!)).ToList();
            return Json(list, ConsulJsonContext.Default.ListConsulCatalogService);
        });

        v1.MapGet("/catalog/nodes", async (HttpContext ctx, CatalogService catalog, IStateStore store, TimeProvider time) =>
        {
            var nodeMeta = NodeMeta(ctx.Request);
            var state = await BlockAsync(ctx, catalog, store, time, s => s.ChangedIndex);
            var list = state.View.Nodes.Where(n => ConsulRender.HasNodeMeta(n, nodeMeta)).Select(ConsulRender.Node).ToList();
            return Json(list, ConsulJsonContext.Default.ListConsulNode);
        });

        v1.MapGet("/catalog/node/{node}", async (string node, HttpContext ctx, CatalogService catalog, IStateStore store, TimeProvider time) =>
        {
            var state = await BlockAsync(ctx, catalog, store, time, s => s.ChangedIndex);
            var view = state.View;
            if (view.Node(node) is not { } n) return Results.Text("null", "application/json");
            var services = view.Entries.Where(e => e.Instance.Node == n.Name)
                .ToDictionary(e => e.Instance.Id, ConsulRender.AgentService, StringComparer.Ordinal);
            return Json(new ConsulNodeServices { Node = ConsulRender.Node(n), Services = services }, ConsulJsonContext.Default.ConsulNodeServices);
        });

        v1.MapGet("/health/service/{name}", async (string name, HttpContext ctx, CatalogService catalog, IStateStore store, TimeProvider time) =>
        {
            var passing = ctx.Request.BoolFlag("passing");
            var tags = Tags(ctx.Request);
            var nodeMeta = NodeMeta(ctx.Request);
            var state = await BlockAsync(ctx, catalog, store, time, s => s.ServiceIndex(name));
            var view = state.View;
            var list = view.Service(name)
                .Where(e => ConsulRender.HasTags(e, tags) && ConsulRender.HasNodeMeta(view.Node(e.Instance.Node), nodeMeta))
                .Where(e => !passing || view.AllChecks(e).All(c => c.Status == HealthStatus.Passing))
                .Select(e => ConsulRender.HealthEntry(view, e)).ToList();
            return Json(list, ConsulJsonContext.Default.ListConsulServiceEntry);
        });

        v1.MapGet("/health/checks/{name}", async (string name, HttpContext ctx, CatalogService catalog, IStateStore store, TimeProvider time) =>
        {
            var nodeMeta = NodeMeta(ctx.Request);
            var state = await BlockAsync(ctx, catalog, store, time, s => s.ServiceIndex(name));
            var view = state.View;
            var list = view.Service(name)
                .Where(e => ConsulRender.HasNodeMeta(view.Node(e.Instance.Node), nodeMeta))
                .SelectMany(e => e.Checks).Select(ConsulRender.Check).ToList();
            return Json(list, ConsulJsonContext.Default.ListConsulHealthCheck);
        });

        v1.MapGet("/health/node/{node}", async (string node, HttpContext ctx, CatalogService catalog, IStateStore store, TimeProvider time) =>
        {
            var state = await BlockAsync(ctx, catalog, store, time, s => s.ChangedIndex);
            var view = state.View;
            var list = (view.Node(node)?.Checks ?? []).Concat(view.Entries.Where(e => e.Instance.Node == node).SelectMany(e => e.Checks))
                .Select(ConsulRender.Check).ToList();
            return Json(list, ConsulJsonContext.Default.ListConsulHealthCheck);
        });

        v1.MapGet("/health/state/{state}", async (string state, HttpContext ctx, CatalogService catalog, IStateStore store, TimeProvider time) =>
        {
            HealthStatus? wanted = state switch
            {
                "any" => null,
                "passing" => HealthStatus.Passing,
                "warning" => HealthStatus.Warning,
                "critical" => HealthStatus.Critical,
                _ => throw ConsulException.BadRequest($"Unsupported state: {state}"),
            };
            var nodeMeta = NodeMeta(ctx.Request);
            var current = await BlockAsync(ctx, catalog, store, time, s => s.ChangedIndex);
            var view = current.View;
            var list = view.Nodes.Where(n => ConsulRender.HasNodeMeta(n, nodeMeta)).SelectMany(n => n.Checks)
                .Concat(view.Entries.Where(e => ConsulRender.HasNodeMeta(view.Node(e.Instance.Node), nodeMeta)).SelectMany(e => e.Checks))
                .Where(c => wanted is null || c.Status == wanted)
                .Select(ConsulRender.Check).ToList();
            return Json(list, ConsulJsonContext.Default.ListConsulHealthCheck);
        });

        // Consul answers "" when no leader is known
        v1.MapGet("/status/leader", (Leadership.ILeadership leadership) => Json(leadership.Leader ?? "", ConsulJsonContext.Default.String));
        v1.MapGet("/status/peers", async (Leadership.ILeadership leadership, CancellationToken ct) =>
            Json((await leadership.PeersAsync(ct)).ToList(), ConsulJsonContext.Default.ListString));
    }

    private static Task<CatalogState> BlockAsync(HttpContext ctx, CatalogService catalog, IStateStore store, TimeProvider time, Func<CatalogState, long> indexOf)
    {
        if (ctx.Request.Value("dc") is { Length: > 0 } dc && dc != ConsulRender.Datacenter)
            throw ConsulException.BadRequest($"No path to datacenter \"{dc}\"");
        return ConsulQuery.BlockAsync(ctx, store, time, catalog.StateAt, indexOf);
    }

    internal static IResult Json<T>(T value, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type) =>
        Results.Json(value, type, "application/json");

    private static IReadOnlyList<string> Tags(HttpRequest req) =>
        req.Query.TryGetValue("tag", out var v) ? v.Where(t => !string.IsNullOrEmpty(t)).Select(t => t!).ToList() : [];

    private static IReadOnlyList<(string, string)> NodeMeta(HttpRequest req)
    {
        if (!req.Query.TryGetValue("node-meta", out var v)) return [];
        var list = new List<(string, string)>();
        foreach (var f in v)
        {
            if (string.IsNullOrEmpty(f)) continue;
            var colon = f.IndexOf(':');
            if (colon <= 0) throw ConsulException.BadRequest($"Invalid node-meta filter '{f}': use key:value");
            list.Add((f[..colon], f[(colon + 1)..]));
        }
        return list;
    }
}
