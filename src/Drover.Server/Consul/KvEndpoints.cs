using System.Text;
using Drover.Api.Consul;
using Drover.Server.Discovery;
using Drover.State;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Drover.Server.Storage;

namespace Drover.Server.Consul;

/// <summary>
/// /v1/kv/&lt;key&gt;: Consul's key/value store on the server's state store (collection "kv").
/// </summary>
/// <remarks>
/// X-Consul-Index: the highest ModifyIndex of the keys the request matched, or — when it matched none — of all
/// keys; in both cases at least the index of the latest KV delete (see <see cref="Schema.KvTombstones"/>),
/// so the index never goes backwards and a blocking read wakes when one of its keys is deleted. Deletes elsewhere
/// also wake it, which Consul's protocol allows (a return is not a promise of change).
/// </remarks>
public static class KvEndpoints
{
    public const int MaxValueSize = 512 * 1024;

    public static void MapConsulKv(this RouteGroupBuilder v1)
    {
        v1.MapMethods("/kv/{**key}", ["GET"], GetAsync);
        v1.MapMethods("/kv/{**key}", ["PUT"], PutAsync);
        v1.MapMethods("/kv/{**key}", ["DELETE"], DeleteAsync);
    }

    /// <summary>The key is the raw path after /v1/kv/, URL-decoded (also an encoded '/').</summary>
    private static string KeyOf(HttpRequest req)
    {
        var path = req.Path.Value ?? "";
        const string prefix = "/v1/kv";
        var key = path.Length > prefix.Length ? path[(prefix.Length + 1)..] : "";
        return key.Replace("%2F", "/", StringComparison.OrdinalIgnoreCase);
    }

    private sealed record KvRead(IReadOnlyList<StateEntry> Entries, long Index);

    private static async Task<IResult> GetAsync(HttpContext ctx, IStateStore store, TimeProvider time)
    {
        var req = ctx.Request;
        var key = KeyOf(req);
        var keysOnly = req.Has("keys");
        var recurse = keysOnly || req.Has("recurse");
        var raw = req.Has("raw");
        var separator = req.Value("separator") ?? req.Value("seperator");
        var read = await ConsulQuery.BlockAsync(ctx, store, time, s => Read(s, key, recurse), r => r.Index);

        if (keysOnly)
        {
            var keys = RollUp(read.Entries.Select(e => e.Key), key, separator);
            if (keys.Count == 0 && key.Length > 0) return Results.NotFound();
            return CatalogEndpoints.Json(keys, ConsulJsonContext.Default.ListString);
        }
        if (read.Entries.Count == 0) return Results.NotFound();
        if (raw && !recurse)
        {
            ctx.Response.Headers.XContentTypeOptions = "nosniff";
            return Results.Bytes(Decode(read.Entries[0]).Value, "text/plain; charset=utf-8");
        }
        var pairs = read.Entries.Select(e =>
        {
            var v = Decode(e);
            return new ConsulKvPair
            {
                CreateIndex = e.CreateIndex,
                ModifyIndex = e.ModifyIndex,
                Key = e.Key,
                Flags = v.Flags,
                Value = v.Value.Length == 0 ? null : Convert.ToBase64String(v.Value),
            };
        }).ToList();
        return CatalogEndpoints.Json(pairs, ConsulJsonContext.Default.ListConsulKvPair);
    }

    private static KvValue Decode(StateEntry e) => StateSnapshot.Decode(Schema.Kv, e);

    private static KvRead Read(StateSnapshot s, string key, bool recurse)
    {
        IReadOnlyList<StateEntry> entries = recurse
            ? s.WithPrefix(Schema.Kv.Name, key).ToList()
            : s.Entry(Schema.Kv.Name, key) is { } one ? [one] : [];
        var index = s.Entry(Schema.KvTombstones.Name, Schema.TombstoneKey)?.ModifyIndex ?? 0;
        foreach (var e in entries.Count > 0 ? entries : s.Entries(Schema.Kv.Name).Values)
            index = Math.Max(index, e.ModifyIndex);
        return new KvRead(entries, index);
    }

    /// <summary>?keys with ?separator: keys below the prefix cut just after the first separator, de-duplicated ("web/sub/").</summary>
    public static List<string> RollUp(IEnumerable<string> keys, string prefix, string? separator)
    {
        var result = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var k in keys)
        {
            var item = k;
            if (!string.IsNullOrEmpty(separator))
            {
                var at = k.IndexOf(separator, prefix.Length, StringComparison.Ordinal);
                if (at >= 0) item = k[..(at + separator.Length)];
            }
            if (seen.Add(item)) result.Add(item);
        }
        return result;
    }

    private static async Task<IResult> PutAsync(HttpContext ctx, StateWriter writer)
    {
        var req = ctx.Request;
        var key = KeyOf(req);
        if (key.Length == 0) throw ConsulException.BadRequest("Missing key name");
        var exclusive = new[] { "cas", "acquire", "release" }.Where(req.Has).ToList();
        if (exclusive.Count > 1) throw ConsulException.BadRequest($"Conflicting flags: {string.Join(", ", exclusive)}");
        if (req.Has("acquire") || req.Has("release")) throw ConsulException.BadRequest("Sessions are not supported: ?acquire and ?release cannot be used");
        var flags = req.UInt64("flags", "flags") ?? 0;
        var cas = req.UInt64("cas", "cas index");
        var value = await ReadValueAsync(req, ctx.RequestAborted);
        if (cas > long.MaxValue) return True(false);
        var op = StateOp.Put(Schema.Kv, key, new KvValue { Flags = flags, Value = value }, (long?)cas);
        try
        {
            await writer.UpdateAsync(_ => [op], ctx.RequestAborted);
            return True(true);
        }
        catch (PreconditionFailedException)
        {
            return True(false);
        }
    }

    private static async Task<byte[]> ReadValueAsync(HttpRequest req, CancellationToken ct)
    {
        if (req.ContentLength > MaxValueSize) throw TooLarge(req.ContentLength.Value);
        using var ms = new MemoryStream();
        var buffer = new byte[16 * 1024];
        int n;
        while ((n = await req.Body.ReadAsync(buffer, ct)) > 0)
        {
            ms.Write(buffer, 0, n);
            if (ms.Length > MaxValueSize) throw TooLarge(ms.Length);
        }
        return ms.ToArray();
    }

    private static ConsulException TooLarge(long size) =>
        new(413, $"Request body({size} bytes) too large, max size: {MaxValueSize} bytes. See https://developer.hashicorp.com/consul/docs/agent/config/config-files#kv_max_value_size.");

    private static async Task<IResult> DeleteAsync(HttpContext ctx, StateWriter writer)
    {
        var req = ctx.Request;
        var key = KeyOf(req);
        var recurse = req.Has("recurse");
        var cas = req.UInt64("cas", "cas index");
        if (recurse && cas is not null) throw ConsulException.BadRequest("Conflicting flags: cas, recurse");
        if (!recurse && key.Length == 0) throw ConsulException.BadRequest("Missing key name");
        var tombstone = StateOp.Put(Schema.KvTombstones, Schema.TombstoneKey, new KvTombstone());
        try
        {
            var (_, deleted) = await writer.UpdateAsync<bool>(s =>
            {
                if (recurse)
                {
                    return s.WithPrefix(Schema.Kv.Name, key).Any()
                        ? ([StateOp.DeletePrefix(Schema.Kv.Name, key), tombstone], true)
                        : ([], true);
                }
                var existing = s.Entry(Schema.Kv.Name, key);
                if (existing is null) return ([], true); // nothing to delete is a success, with or without cas
                if (cas is { } c && (ulong)existing.ModifyIndex != c) return ([], false);
                return ([StateOp.Delete(Schema.Kv, key, existing.ModifyIndex), tombstone], true);
            }, ctx.RequestAborted);
            return True(deleted);
        }
        catch (PreconditionFailedException)
        {
            return True(false);
        }
    }

    private static IResult True(bool value) => Results.Text(value ? "true" : "false", "application/json", Encoding.UTF8);
}
