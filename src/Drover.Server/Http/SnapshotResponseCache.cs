using System.Collections.Concurrent;

namespace Drover.Server.Http;

/// <summary>
/// Serialized read responses keyed by (state index, request). Clients such as marathon-lb and
/// Bamboo poll the full app list with embedded tasks; between two writes the answer cannot change,
/// so it is rendered once per index instead of once per poll.
/// </summary>
public sealed class SnapshotResponseCache
{
    private const int MaxEntries = 32;
    private readonly ConcurrentDictionary<string, (long Index, Lazy<byte[]> Body)> _entries = new();

    public byte[] GetOrRender(long index, string key, Func<byte[]> render)
    {
        if (_entries.TryGetValue(key, out var e) && e.Index == index) return e.Body.Value;
        var fresh = (index, new Lazy<byte[]>(render, LazyThreadSafetyMode.ExecutionAndPublication));
        if (_entries.Count >= MaxEntries) _entries.Clear();
        var stored = _entries.AddOrUpdate(key, fresh, (_, old) => old.Index >= index ? old : fresh);
        return stored.Index == index ? stored.Body.Value : render();
    }
}
