using System.Text;
using System.Text.Json.Nodes;
using Drover.Server.Http;
using Drover.Server.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Drover.Server.Events;

/// <summary>GET /v2/events: Server-Sent Events as Marathon (Jetty) frames them: event/data lines with CRLF, a bare CRLF heartbeat every 10 s.</summary>
public static class EventEndpoints
{
    private static readonly TimeSpan Heartbeat = TimeSpan.FromSeconds(10);

    public static void MapEventEndpoints(this IEndpointRouteBuilder r) => r.MapGet("/v2/events", StreamAsync);

    private static async Task StreamAsync(HttpContext ctx, EventBus bus, CancellationToken ct)
    {
        var accept = ctx.Request.Headers.Accept.ToString();
        if (accept.Length > 0 && !accept.Contains("text/event-stream", StringComparison.OrdinalIgnoreCase) && !accept.Contains("*/*", StringComparison.Ordinal))
            throw new ApiException(406, "GET /v2/events streams text/event-stream; send 'Accept: text/event-stream'");
        var types = ctx.Request.Multi("event_type").ToHashSet(StringComparer.Ordinal);
        var unknown = types.Where(t => !EventBus.KnownTypes.Contains(t)).ToList();
        if (unknown.Count > 0) throw ApiException.BadRequest($"unknown event_type: {string.Join(", ", unknown)}");
        var light = string.Equals(ctx.Request.Query["plan-format"], "light", StringComparison.OrdinalIgnoreCase);
        var remote = ctx.Connection.RemoteIpAddress?.ToString() ?? "unknown";

        ctx.Response.StatusCode = 200;
        ctx.Response.ContentType = "text/event-stream;charset=UTF-8";
        ctx.Response.Headers.CacheControl = "no-cache, no-store, must-revalidate";
        ctx.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpResponseBodyFeature>()?.DisableBuffering();
        using var sub = bus.Subscribe(remote, types);
        await ctx.Response.Body.FlushAsync(ct);
        bus.Publish("event_stream_attached", new JsonObject { ["remoteAddress"] = remote });
        var body = ctx.Response.Body;
        try
        {
            while (!ct.IsCancellationRequested)
            {
                using var wait = CancellationTokenSource.CreateLinkedTokenSource(ct);
                wait.CancelAfter(Heartbeat);
                ServerEvent evt;
                try
                {
                    if (!await sub.Reader.WaitToReadAsync(wait.Token)) break; // dropped as too slow
                    if (!sub.Reader.TryRead(out evt!)) continue;
                }
                catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                {
                    await body.WriteAsync("\r\n"u8.ToArray(), ct);
                    await body.FlushAsync(ct);
                    continue;
                }
                var data = light && evt.LightJson is not null ? evt.LightJson : evt.Json;
                await body.WriteAsync(Encoding.UTF8.GetBytes($"event: {evt.Type}\r\ndata: {data}\r\n\r\n"), ct);
                while (sub.Reader.TryRead(out evt!))
                {
                    data = light && evt.LightJson is not null ? evt.LightJson : evt.Json;
                    await body.WriteAsync(Encoding.UTF8.GetBytes($"event: {evt.Type}\r\ndata: {data}\r\n\r\n"), ct);
                }
                await body.FlushAsync(ct);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
        catch (IOException)
        {
            // client went away
        }
        finally
        {
            sub.Dispose();
            bus.Publish("event_stream_detached", new JsonObject { ["remoteAddress"] = remote });
        }
    }
}
