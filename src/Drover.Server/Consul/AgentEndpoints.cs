using Drover.Api.Consul;
using Drover.Core.Discovery;
using Drover.Server.Discovery;
using Drover.Server.Http;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Drover.Server.Consul;

/// <summary>
/// /v1/agent/*: the server is the Consul agent of external services (a MySQL Drover does not run). Write endpoints
/// accept GET as well as PUT: python-consul 0.7.1 deregisters and passes TTL checks with GET.
/// </summary>
public static class ConsulAgentEndpoints
{
    private const int MaxBody = 1024 * 1024;
    private static readonly string[] Writes = ["PUT", "GET", "POST"];

    public static void MapConsulAgent(this RouteGroupBuilder v1)
    {
        v1.MapGet("/agent/services", (CatalogService catalog) =>
        {
            var view = catalog.View;
            var map = view.Entries.Where(e => e.External).ToDictionary(e => e.Instance.Id, ConsulRender.AgentService, StringComparer.Ordinal);
            return CatalogEndpoints.Json(map, ConsulJsonContext.Default.DictionaryStringConsulAgentService);
        });

        v1.MapGet("/agent/checks", (CatalogService catalog) =>
        {
            var view = catalog.View;
            var local = view.Node(view.LocalNode)!;
            var map = new Dictionary<string, ConsulHealthCheck>(StringComparer.Ordinal);
            foreach (var c in local.Checks.Where(c => c.CheckId != CatalogBuilder.SerfHealth).Concat(view.Entries.Where(e => e.External).SelectMany(e => e.Checks)))
                map[c.CheckId] = ConsulRender.Check(c);
            return CatalogEndpoints.Json(map, ConsulJsonContext.Default.DictionaryStringConsulHealthCheck);
        });

        v1.MapGet("/agent/self", (CatalogService catalog, ServerIdentity id) =>
        {
            var view = catalog.View;
            var node = view.Node(view.LocalNode)!;
            var self = new System.Text.Json.Nodes.JsonObject
            {
                ["Config"] = new System.Text.Json.Nodes.JsonObject
                {
                    ["Datacenter"] = ConsulRender.Datacenter,
                    ["NodeName"] = node.Name,
                    ["NodeID"] = node.Id,
                    ["Server"] = true,
                    ["Version"] = "1.0.0-drover",
                },
                ["Member"] = new System.Text.Json.Nodes.JsonObject
                {
                    ["Name"] = node.Name,
                    ["Addr"] = node.Address,
                    ["Port"] = id.Port,
                    ["Status"] = 1,
                },
            };
            return Results.Text(self.ToJsonString(), "application/json");
        });

        v1.MapMethods("/agent/service/register", Writes, async (HttpContext ctx, ExternalServices services) =>
        {
            var body = RegistrationReader.Parse(await ReadBodyAsync(ctx.Request, ctx.RequestAborted));
            var reg = RegistrationReader.ReadService(body);
            await services.RegisterAsync(reg, ctx.Request.BoolFlag("replace-existing-checks"), ctx.RequestAborted);
            return Results.Ok();
        });

        v1.MapMethods("/agent/service/deregister/{id}", Writes, async (string id, HttpContext ctx, ExternalServices services) =>
        {
            await services.DeregisterAsync(id, "deregistered through the agent API", ctx.RequestAborted);
            return Results.Ok();
        });

        v1.MapMethods("/agent/service/maintenance/{id}", Writes, async (string id, HttpContext ctx, ExternalServices services) =>
        {
            var enable = MaintenanceFlag(ctx.Request);
            if (!await services.SetMaintenanceAsync(id, enable, ctx.Request.Value("reason"), ctx.RequestAborted))
                throw ConsulException.NotFound($"Unknown service ID \"{id}\"");
            return Results.Ok();
        });

        v1.MapMethods("/agent/maintenance", Writes, async (HttpContext ctx, ExternalServices services) =>
        {
            await services.SetMaintenanceAsync(null, MaintenanceFlag(ctx.Request), ctx.Request.Value("reason"), ctx.RequestAborted);
            return Results.Ok();
        });

        v1.MapMethods("/agent/check/register", Writes, async (HttpContext ctx, ExternalServices services) =>
        {
            var body = RegistrationReader.Parse(await ReadBodyAsync(ctx.Request, ctx.RequestAborted));
            var reg = RegistrationReader.ReadCheck(body, null, null, null, standalone: true);
            await services.RegisterCheckAsync(reg, ctx.RequestAborted);
            return Results.Ok();
        });

        v1.MapMethods("/agent/check/deregister/{id}", Writes, async (string id, HttpContext ctx, ExternalServices services) =>
        {
            await services.DeregisterCheckAsync(id, ctx.RequestAborted);
            return Results.Ok();
        });

        v1.MapMethods("/agent/check/pass/{id}", Writes, (string id, HttpContext ctx, ExternalServices s) => Ttl(id, HealthStatus.Passing, ctx, s));
        v1.MapMethods("/agent/check/warn/{id}", Writes, (string id, HttpContext ctx, ExternalServices s) => Ttl(id, HealthStatus.Warning, ctx, s));
        v1.MapMethods("/agent/check/fail/{id}", Writes, (string id, HttpContext ctx, ExternalServices s) => Ttl(id, HealthStatus.Critical, ctx, s));

        v1.MapMethods("/agent/check/update/{id}", Writes, async (string id, HttpContext ctx, ExternalServices services) =>
        {
            var body = RegistrationReader.Parse(await ReadBodyAsync(ctx.Request, ctx.RequestAborted));
            ConsulCheckUpdate update;
            try
            {
                update = System.Text.Json.JsonSerializer.Deserialize(body, ConsulJsonContext.Default.ConsulCheckUpdate) ?? new ConsulCheckUpdate();
            }
            catch (System.Text.Json.JsonException ex)
            {
                throw ConsulException.BadRequest($"Request decode failed: {ex.Message}");
            }
            if (!HealthStatuses.TryParse(update.Status, out var status)) throw ConsulException.BadRequest($"Invalid check status: \"{update.Status}\"");
            await services.UpdateTtlAsync(id, status, update.Output ?? "", ctx.RequestAborted);
            return Results.Ok();
        });
    }

    /// <summary>?enable=true|false is required (python-consul sends True/False).</summary>
    private static bool MaintenanceFlag(HttpRequest req)
    {
        if (req.Value("enable") is not { Length: > 0 } v) throw ConsulException.BadRequest("Missing value for enable");
        return bool.TryParse(v, out var b) ? b : v == "1" || (v == "0" ? false : throw ConsulException.BadRequest($"Invalid value for enable: \"{v}\""));
    }

    private static async Task<IResult> Ttl(string id, HealthStatus status, HttpContext ctx, ExternalServices services)
    {
        await services.UpdateTtlAsync(id, status, ctx.Request.Value("note") ?? "", ctx.RequestAborted);
        return Results.Ok();
    }

    private static async Task<byte[]> ReadBodyAsync(HttpRequest req, CancellationToken ct)
    {
        if (req.ContentLength > MaxBody) throw new ConsulException(413, $"Request body too large: at most {MaxBody} bytes");
        using var ms = new MemoryStream();
        var buffer = new byte[16 * 1024];
        int n;
        while ((n = await req.Body.ReadAsync(buffer, ct)) > 0)
        {
            ms.Write(buffer, 0, n);
            if (ms.Length > MaxBody) throw new ConsulException(413, $"Request body too large: at most {MaxBody} bytes");
        }
        return ms.ToArray();
    }
}
