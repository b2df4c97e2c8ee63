using Drover.Api;
using Drover.Api.Marathon;
using Drover.Core.Apps;
using Drover.Server.Http;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Drover.Server.Reconcile;

public static class QueueEndpoints
{
    public static void MapQueueEndpoints(this IEndpointRouteBuilder r)
    {
        r.MapGet("/v2/queue", (LaunchQueue queue) => Responses.Json(new QueueResponse(queue.Items()), ApiJsonContext.Default.QueueResponse));
        r.MapDelete("/v2/queue/{**path}", async (string path, LaunchQueue queue, ReconcileLoop loop, CancellationToken ct) =>
        {
            if (!path.EndsWith("/delay", StringComparison.Ordinal)) throw ApiException.NotFound($"Unknown queue path '{path}'");
            var appId = PathId.Canonical(path[..^"/delay".Length]);
            if (!await queue.ResetDelayAsync(appId, ct)) throw ApiException.NotFound($"Application {appId} not found in tasks queue.");
            loop.Trigger();
            return Results.NoContent();
        });
    }
}
