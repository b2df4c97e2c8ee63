using Microsoft.AspNetCore.Http;

namespace Drover.Server.Apps;

/// <summary>
/// The /v2/apps/{id}/tasks routes. App ids contain '/', so <see cref="AppEndpoints"/> parses the path and hands these
/// on; the tasks side (Tasks.TaskService) implements them, so Apps does not depend on Tasks, which renders tasks with AppViews.
/// </summary>
public interface IAppTaskRoutes
{
    /// <summary>GET /v2/apps/{id}/tasks</summary>
    IResult ListForApp(HttpContext ctx, string appId);

    /// <summary>DELETE /v2/apps/{id}/tasks</summary>
    Task<IResult> KillForAppAsync(HttpContext ctx, string appId, CancellationToken ct);

    /// <summary>DELETE /v2/apps/{id}/tasks/{taskId}</summary>
    Task<IResult> KillOneAsync(HttpContext ctx, string appId, string taskId, CancellationToken ct);
}
