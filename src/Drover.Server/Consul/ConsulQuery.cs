using System.Globalization;
using Drover.Server.Discovery;
using Drover.State;
using Microsoft.AspNetCore.Http;

namespace Drover.Server.Consul;

/// <summary>Query-string conventions of Consul's HTTP API: Go booleans, Go durations, blocking queries.</summary>
public static class ConsulQuery
{
    public static readonly TimeSpan DefaultWait = TimeSpan.FromMinutes(5);
    public static readonly TimeSpan MaxWait = TimeSpan.FromMinutes(10);

    public static bool Has(this HttpRequest req, string name) => req.Query.ContainsKey(name);

    public static string? Value(this HttpRequest req, string name) =>
        req.Query.TryGetValue(name, out var v) && v.Count > 0 ? v[^1] : null;

    /// <summary>A presence flag with Go's ParseBool on a value ("?passing" = true, "?passing=0" = false); anything else is a 400.</summary>
    public static bool BoolFlag(this HttpRequest req, string name)
    {
        if (!req.Query.TryGetValue(name, out var v)) return false;
        var s = v.Count == 0 ? "" : v[^1] ?? "";
        return s switch
        {
            "" or "1" or "t" or "T" or "true" or "TRUE" or "True" => true,
            "0" or "f" or "F" or "false" or "FALSE" or "False" => false,
            _ => throw ConsulException.BadRequest($"Invalid value for ?{name}"),
        };
    }

    public static ulong? UInt64(this HttpRequest req, string name, string what)
    {
        var s = req.Value(name);
        if (s is null) return null;
        return ulong.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n
            : throw ConsulException.BadRequest($"Invalid {what}: '{s}' is not an unsigned integer");
    }

    /// <summary>Go's time.ParseDuration: "300ms", "1.5h", "2h45m"; a bare "0" is zero.</summary>
    public static bool TryParseDuration(string? s, out TimeSpan value) => Core.Json.Durations.TryParse(s, out value);

    public static TimeSpan ParseDuration(string field, string s) =>
        TryParseDuration(s, out var d) ? d : throw ConsulException.BadRequest($"Invalid duration for {field}: '{s}' (use e.g. 10s, 5m, 100ms)");

    /// <summary>
    /// Runs a read as a blocking query: with ?index=N (N &gt; 0), waits while the read's index is ≤ N until it moves
    /// past N or ?wait (default 5m, at most 10m, plus up to wait/16 of jitter as Consul adds) elapses; then answers
    /// with the current data. Sets X-Consul-Index from the answer.
    /// </summary>
    public static async Task<T> BlockAsync<T>(HttpContext ctx, IStateStore store, TimeProvider time,
        Func<StateSnapshot, T> read, Func<T, long> indexOf)
    {
        var req = ctx.Request;
        var minIndex = req.UInt64("index", "index") ?? 0;
        var wait = DefaultWait;
        if (req.Value("wait") is { } w)
        {
            if (!TryParseDuration(w, out wait) || wait < TimeSpan.Zero) throw ConsulException.BadRequest($"Invalid wait time: '{w}'");
        }
        var snapshot = store.Current;
        var result = read(snapshot);
        if (minIndex > 0 && (ulong)Math.Max(1, indexOf(result)) <= minIndex)
        {
            if (wait > MaxWait) wait = MaxWait;
            if (wait == TimeSpan.Zero) wait = DefaultWait; // Consul treats wait=0 as the default
            wait = Http.StoreWaits.WithJitter(wait);
            var deadline = time.GetUtcNow() + wait;
            while ((ulong)Math.Max(1, indexOf(result)) <= minIndex)
            {
                var remaining = deadline - time.GetUtcNow();
                if (remaining <= TimeSpan.Zero) break;
                var wrote = await Http.StoreWaits.NextWriteAsync(store, time, snapshot.Index, remaining, ctx.RequestAborted);
                snapshot = store.Current;
                result = read(snapshot);
                if (!wrote) break;
            }
        }
        ConsulFilter.SetIndex(ctx.Response, indexOf(result));
        return result;
    }
}
