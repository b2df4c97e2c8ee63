using System.Diagnostics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Drover.Server.Metrics;

/// <summary>Times every API request into <c>drover_http_request_duration_seconds</c> by route group and status class.</summary>
public static class RequestMetrics
{
    public static void UseRequestMetrics(this WebApplication app)
    {
        var metrics = app.Services.GetRequiredService<ServerMetrics>();
        app.Use(async (ctx, next) =>
        {
            var start = Stopwatch.GetTimestamp();
            var status = 500; // an exception that escapes every handler is answered 500 by Kestrel
            try
            {
                await next(ctx);
                status = ctx.Response.StatusCode;
            }
            finally
            {
                metrics.Request(RouteGroup(ctx.Request.Path.Value ?? "/"), status).ObserveSince(start);
            }
        });
    }

    /// <summary>A few fixed groups rather than the route template: app ids in paths would make a label per app.</summary>
    public static string RouteGroup(string path)
    {
        if (path.StartsWith("/v2/", StringComparison.OrdinalIgnoreCase))
        {
            var rest = path.AsSpan(4);
            if (Under(rest, "apps")) return "apps";
            if (Under(rest, "tasks")) return "tasks";
            if (Under(rest, "deployments")) return "deployments";
            if (Under(rest, "groups")) return "groups";
            if (Under(rest, "events")) return "events";
            return "other";
        }
        if (path.StartsWith("/internal/agents", StringComparison.OrdinalIgnoreCase)
            || path.StartsWith("/v1/drover/agents", StringComparison.OrdinalIgnoreCase)) return "agents";
        if (path.StartsWith("/v1/drover/", StringComparison.OrdinalIgnoreCase)) return "other";
        // Consul's /v1 API; Mesos-DNS's few /v1 paths count here too, being discovery reads of the same kind
        if (path.StartsWith("/v1/", StringComparison.OrdinalIgnoreCase)) return "consul";
        return "other";
    }

    private static bool Under(ReadOnlySpan<char> rest, string segment) =>
        rest.StartsWith(segment, StringComparison.OrdinalIgnoreCase) && (rest.Length == segment.Length || rest[segment.Length] == '/');
}
