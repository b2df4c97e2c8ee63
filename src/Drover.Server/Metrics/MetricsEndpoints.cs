using Drover.Core.Metrics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Drover.Server.Metrics;

/// <summary>
/// <c>GET /metrics</c> in Prometheus's text format, answered by whichever server is asked (each server has its own
/// figures, so it is never forwarded to the leader). With <c>--api-token-reads</c> it needs the API token like every
/// other read: Prometheus sends it with <c>authorization: { credentials: … }</c> (a Bearer token) in the scrape config.
/// </summary>
public static class MetricsEndpoints
{
    public const string Path = "/metrics";

    public static void MapMetricsEndpoints(this WebApplication app)
    {
        var registry = app.Services.GetRequiredService<ServerMetrics>().Registry;
        app.MapMethods(Path, [HttpMethods.Get, HttpMethods.Head], (HttpContext ctx) =>
            Results.Text(registry.Render(), MetricRegistry.ContentType, System.Text.Encoding.UTF8));
    }
}
