using System.Text.Json;
using Drover.Api;
using Drover.Api.Marathon;
using Drover.Core.Validation;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Drover.Server.Http;

/// <summary>
/// Turns typed exceptions into Marathon's JSON errors (400/404/409/422), and collapses repeated
/// slashes in paths (python3-marathon sends /v2/apps//web). Anything unexpected is a 500 with a
/// message, logged, never a crash.
/// </summary>
public static class ErrorHandling
{
    public static void UseDroverErrors(this WebApplication app)
    {
        app.Use(async (ctx, next) =>
        {
            var path = ctx.Request.Path.Value;
            if (path is not null && path.Contains("//", StringComparison.Ordinal))
            {
                while (path.Contains("//", StringComparison.Ordinal)) path = path.Replace("//", "/", StringComparison.Ordinal);
                ctx.Request.Path = path;
            }
            try
            {
                await next(ctx);
            }
            catch (OperationCanceledException) when (ctx.RequestAborted.IsCancellationRequested)
            {
                // client went away
            }
            catch (Exception ex) when (!ctx.Response.HasStarted)
            {
                var (status, body) = Map(ex);
                if (status >= 500)
                    app.Logger.LogError(ex, "unhandled error on {Method} {Path}", ctx.Request.Method, ctx.Request.Path);
                ctx.Response.Clear();
                ctx.Response.StatusCode = status;
                if (ex is State.ReadConflictException) ctx.Response.Headers.RetryAfter = "1"; // nothing was written: sending it again is safe
                if (NotAppliedAnswer.Proves(ex)) NotAppliedAnswer.Mark(ctx.Response);
                ctx.Response.ContentType = "application/json";
                await JsonSerializer.SerializeAsync(ctx.Response.Body, body, ApiJsonContext.Default.MessageResponse);
            }
        });
    }

    public static (int, MessageResponse) Map(Exception ex) => ex switch
    {
        DeploymentLockedException l => (409, new MessageResponse { Message = l.Message, Deployments = l.DeploymentIds.Select(id => new DeploymentRef(id)).ToList() }),
        ApiException a => (a.Status, new MessageResponse { Message = a.Message, Details = a.Details }),
        ValidationException v => (422, new MessageResponse
        {
            Message = v.Message,
            Details = v.Errors.Items.Select(i => new ErrorDetail(i.Path, i.Errors)).ToList(),
        }),
        JsonException j => (400, new MessageResponse
        {
            Message = "Invalid JSON",
            Details = [new ErrorDetail(j.Path ?? "/", [j.Message])],
        }),
        // a deposed leader's write, refused by etcd's fencing compare; nothing was written
        State.Etcd.FencedWriteException f => (503, new MessageResponse { Message = $"no leader: this server is not the leader any more ({f.Message})" }),
        State.Etcd.Client.EtcdException e => (503, new MessageResponse { Message = $"the state store is unavailable: {e.Message}" }),
        // other writes kept changing what this one was decided on, through every retry; nothing was written
        State.ReadConflictException c => (503, new MessageResponse { Message = $"write conflict: the state changed under this write {StateWriter.MaxAttempts} times ({c.Message}); nothing was written, try again" }),
        BadHttpRequestException b => (b.StatusCode, new MessageResponse { Message = b.Message }),
        _ => (500, new MessageResponse { Message = $"internal error: {ex.GetType().Name}: {ex.Message}" }),
    };
}
