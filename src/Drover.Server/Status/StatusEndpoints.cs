using Drover.Api.Status;
using Drover.Server.Http;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;

namespace Drover.Server.Status;

/// <summary>GET /v1/drover/status: a Drover extension beside Marathon's /v2/info, whose shape python3-marathon fixes.</summary>
public static class StatusEndpoints
{
    public static void MapStatusEndpoints(this IEndpointRouteBuilder r) =>
        r.MapGet("/v1/drover/status", async (StatusService status, CancellationToken ct) =>
            Responses.Json(await status.ReadAsync(ct), StatusJsonContext.Default.DroverStatus));
}
