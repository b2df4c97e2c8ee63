using System.Collections.Immutable;
using Drover.State.Etcd.Client;
using Microsoft.Extensions.Logging;

namespace Drover.State.Etcd;

public sealed partial class EtcdStateStore
{
    private const int PageSize = 1000;

    /// <summary>The whole prefix at one revision, read in pages (a single huge range would hold etcd's lock and memory).</summary>
    private static async Task<StateSnapshot> LoadAsync(EtcdClient client, EtcdKeyLayout layout, ILogger log, CancellationToken ct)
    {
        var collections = new Dictionary<string, ImmutableSortedDictionary<string, StateEntry>.Builder>(StringComparer.Ordinal);
        long revision = 0;
        var from = layout.PrefixBytes;
        while (true)
        {
            var page = await client.RangeAsync(new RangeRequest(from, layout.PrefixEnd, Limit: PageSize, Revision: revision), ct).ConfigureAwait(false);
            if (revision == 0) revision = page.Header?.Revision ?? throw new EtcdException("etcd answered a range without a revision");
            var kvs = page.Kvs ?? [];
            foreach (var kv in kvs)
            {
                if (!layout.TryParse(kv.Key, out var collection, out var key))
                {
                    EtcdLog.ForeignKey(log, layout.Prefix, System.Text.Encoding.UTF8.GetString(kv.Key));
                    continue;
                }
                if (!collections.TryGetValue(collection, out var entries))
                    collections[collection] = entries = StateSnapshot.EmptyCollection.ToBuilder();
                entries[key] = ToEntry(key, kv);
            }
            if (!page.More || kvs.Count == 0) break;
            from = EtcdKeys.After(kvs[^1].Key);
        }
        return new StateSnapshot(revision, collections.ToImmutableDictionary(c => c.Key, c => c.Value.ToImmutable(), StringComparer.Ordinal));
    }

    private static StateEntry ToEntry(string key, EtcdKeyValue kv) => new(key, kv.Value ?? [], kv.CreateRevision, kv.ModRevision);

    /// <summary>Applies one watch response's events; they all belong to revisions after the current snapshot's.</summary>
    private void ApplyEvents(IReadOnlyList<EtcdEvent> events)
    {
        var current = _publisher.Current;
        var touched = new Dictionary<string, ImmutableSortedDictionary<string, StateEntry>.Builder>(StringComparer.Ordinal);
        var revision = current.Index;
        var keys = new List<(string Collection, string Key)>();
        foreach (var e in events)
        {
            if (e.Kv is not { } kv || kv.ModRevision <= current.Index) continue; // already in the snapshot (a resumed watch may repeat)
            revision = Math.Max(revision, kv.ModRevision);
            if (!_layout.TryParse(kv.Key, out var collection, out var key))
            {
                EtcdLog.ForeignKey(_log, _layout.Prefix, System.Text.Encoding.UTF8.GetString(kv.Key));
                continue;
            }
            if (!touched.TryGetValue(collection, out var entries))
                touched[collection] = entries = current.Entries(collection).ToBuilder();
            keys.Add((collection, key));
            if (e.Type == EventType.DELETE) entries.Remove(key);
            else entries[key] = ToEntry(key, kv);
        }
        if (revision == current.Index) return;

        var collections = current.Collections;
        foreach (var (name, entries) in touched)
            collections = entries.Count == 0 ? collections.Remove(name) : collections.SetItem(name, entries.ToImmutable());
        _publisher.Publish(new StateSnapshot(revision, collections), keys);
    }
}
