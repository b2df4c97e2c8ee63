using System.Globalization;
using System.Text.Json;
using Drover.Api.LoadBalancing;
using Drover.Server.Http;
using Drover.State;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Drover.Server.LoadBalancing;

/// <summary>
/// What <c>drover lb</c> follows and tells the server (Drover extensions, so Marathon-shaped JSON is untouched):
/// <c>GET /v1/drover/lb/state?index=N&amp;wait=30s</c> is a blocking query with Consul's semantics (returns at once
/// when the lb state's index is past N, else when it moves or after wait; X-Drover-Index like X-Consul-Index), and
/// <c>PUT /v1/drover/lb/instances/{id}</c> registers/heartbeats an lb with the index it has applied, which is what
/// lets a held kill go ahead (drain before kill).
/// </summary>
public static class LbEndpoints
{
    public const string IndexHeader = "X-Drover-Index";
    /// <summary>Consul's defaults for blocking queries: 5 minutes, at most 10.</summary>
    public static readonly TimeSpan DefaultWait = TimeSpan.FromMinutes(5);
    public static readonly TimeSpan MaxWait = TimeSpan.FromMinutes(10);
    public const int MaxIdLength = 128;

    public static void MapLbEndpoints(this IEndpointRouteBuilder r)
    {
        r.MapGet("/v1/drover/lb/state", async (HttpContext ctx, StateWriter writer, LbStateCache cache, TimeProvider time) =>
        {
            var (minIndex, wait) = ReadBlocking(ctx.Request);
            var entry = cache.Get(writer.Current);
            if (minIndex > 0 && entry.Index <= minIndex)
            {
                var deadline = time.GetUtcNow() + StoreWaits.WithJitter(wait);
                while (entry.Index <= minIndex)
                {
                    var remaining = deadline - time.GetUtcNow();
                    if (remaining <= TimeSpan.Zero) break;
                    var wrote = await StoreWaits.NextWriteAsync(writer.Store, time, entry.StoreIndex, remaining, ctx.RequestAborted);
                    entry = cache.Get(writer.Current);
                    if (!wrote) break;
                }
            }
            ctx.Response.Headers[IndexHeader] = entry.Index.ToString(CultureInfo.InvariantCulture);
            return Results.Bytes(entry.Body, "application/json");
        });

        r.MapGet("/v1/drover/lb/instances", (LbRegistry lbs) => Responses.Json(lbs.List(), LbJsonContext.Default.LbInstances));

        r.MapPut("/v1/drover/lb/instances/{id}", async (string id, HttpContext ctx, LbRegistry lbs) =>
        {
            CheckId(id);
            var body = await ctx.Request.ReadJsonAsync(ctx.RequestAborted);
            return Responses.Json(lbs.Heartbeat(id, ReadHeartbeat(body)), LbJsonContext.Default.LbInstance);
        });

        r.MapDelete("/v1/drover/lb/instances/{id}", (string id, LbRegistry lbs) =>
        {
            CheckId(id);
            if (!lbs.Deregister(id)) throw ApiException.NotFound($"no load balancer '{id}' is registered");
            return Results.NoContent();
        });
    }

    private static (long MinIndex, TimeSpan Wait) ReadBlocking(HttpRequest req)
    {
        long minIndex = 0;
        if (req.Query.TryGetValue("index", out var iv))
        {
            var s = iv.Count == 0 ? "" : iv[^1] ?? "";
            if (!long.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out minIndex))
                throw ApiException.BadRequest($"Invalid index '{s}': use the {IndexHeader} of a previous answer (a non-negative integer)");
        }
        var wait = DefaultWait;
        if (req.Query.TryGetValue("wait", out var wv))
        {
            var s = wv.Count == 0 ? "" : wv[^1] ?? "";
            if (!Core.Json.Durations.TryParse(s, out wait) || wait < TimeSpan.Zero)
                throw ApiException.BadRequest($"Invalid wait '{s}': use a duration such as 30s or 5m");
            if (wait == TimeSpan.Zero) wait = DefaultWait; // as Consul: wait=0 means the default
            if (wait > MaxWait) wait = MaxWait;
        }
        return (minIndex, wait);
    }

    private static void CheckId(string id)
    {
        if (id.Length is 0 or > MaxIdLength || !id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or ':'))
            throw ApiException.BadRequest($"Invalid load balancer id '{id}': use 1-{MaxIdLength} letters, digits, '-', '_', '.' or ':'");
    }

    private static LbHeartbeat ReadHeartbeat(JsonElement body)
    {
        if (body.ValueKind != JsonValueKind.Object)
            throw ApiException.BadRequest("the body must be a JSON object such as {\"appliedIndex\": 42, \"group\": \"external\"}");
        if (!body.TryGetProperty("appliedIndex", out var idx))
            throw ApiException.BadRequest("appliedIndex is required: the X-Drover-Index of the lb state this lb has put into effect (0 if none yet)");
        if (idx.ValueKind != JsonValueKind.Number || !idx.TryGetInt64(out var applied) || applied < 0)
            throw ApiException.BadRequest($"appliedIndex must be a non-negative integer, not {idx.GetRawText()}");
        string? group = null;
        if (body.TryGetProperty("group", out var g) && g.ValueKind != JsonValueKind.Null)
        {
            if (g.ValueKind != JsonValueKind.String) throw ApiException.BadRequest($"group must be a string, not {g.GetRawText()}");
            group = g.GetString();
        }
        return new LbHeartbeat { AppliedIndex = applied, Group = group };
    }
}
