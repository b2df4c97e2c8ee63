using System.Text.Json;
using Drover.Server.Discovery;
using Drover.State;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Drover.Server.Consul;

/// <summary>
/// Endpoint filter for every Consul route: sets the headers Consul clients read on every answer (python-consul
/// reads X-Consul-Index even on a 404) and turns errors into Consul's text/plain bodies.
/// </summary>
public static class ConsulFilter
{
    public const string IndexHeader = "X-Consul-Index";

    public static async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext ctx, EndpointFilterDelegate next)
    {
        var http = ctx.HttpContext;
        var store = http.RequestServices.GetRequiredService<IStateStore>();
        SetIndex(http.Response, store.Current.Index);
        // Consul's followers say whether they know a leader and how long ago they heard from it (ms); a stale
        // store (no etcd quorum) knows none, and its last contact is when it last saw the quorum.
        var health = http.RequestServices.GetRequiredService<Storage.IStoreHealth>();
        var knownLeader = http.RequestServices.GetRequiredService<Leadership.ILeadership>().Leader is not null; // none while stale
        http.Response.Headers["X-Consul-KnownLeader"] = knownLeader ? "true" : "false";
        var now = http.RequestServices.GetRequiredService<TimeProvider>().GetUtcNow();
        var lastContact = health.IsStale ? Math.Max(0, (long)(now - health.LastContact).TotalMilliseconds) : 0;
        http.Response.Headers["X-Consul-LastContact"] = lastContact.ToString(System.Globalization.CultureInfo.InvariantCulture);
        try
        {
            return await next(ctx);
        }
        catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex) when (Map(ex) is { } error)
        {
            if (Http.NotAppliedAnswer.Proves(ex)) Http.NotAppliedAnswer.Mark(http.Response);
            if (error.Status >= 500)
                http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("Drover.Consul")
                    .LogError(ex, "unhandled error on {Method} {Path}", http.Request.Method, http.Request.Path);
            return Results.Text(error.Message + "\n", "text/plain; charset=utf-8", statusCode: error.Status);
        }
    }

    /// <summary>X-Consul-Index, never below 1 (Consul clamps it so clients never block on 0).</summary>
    public static void SetIndex(HttpResponse response, long index) =>
        response.Headers[IndexHeader] = Math.Max(1, index).ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static ConsulException? Map(Exception ex) => ex switch
    {
        ConsulException c => c,
        JsonException j => ConsulException.BadRequest($"Request decode failed: {j.Message}"),
        BadHttpRequestException b => new ConsulException(b.StatusCode, b.Message),
        OperationCanceledException => null,
        // Consul answers 500 "No cluster leader" when its raft has none; a 503 names the cause and says "try later"
        State.Etcd.FencedWriteException f => new ConsulException(503, $"No cluster leader: this server is not the leader any more ({f.Message})"),
        State.Etcd.Client.EtcdException e => new ConsulException(503, $"No cluster leader: the state store is unavailable: {e.Message}"),
        State.ReadConflictException c => new ConsulException(503, $"write conflict: the state changed under this write {StateWriter.MaxAttempts} times ({c.Message}); nothing was written, try again"),
        _ => new ConsulException(500, $"internal error: {ex.GetType().Name}: {ex.Message}"),
    };
}
