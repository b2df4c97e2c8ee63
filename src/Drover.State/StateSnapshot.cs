using System.Collections.Immutable;

namespace Drover.State;

/// <summary>A stored document with Consul-style indexes.</summary>
public sealed record StateEntry(string Key, byte[] Value, long CreateIndex, long ModifyIndex)
{
    /// <summary>Lazily deserialised typed value (cached per entry; entries are immutable).</summary>
    internal object? Decoded;
}

/// <summary>An immutable view of the whole store at one index.</summary>
/// <remarks>
/// Collections are keyed with <see cref="StringComparer.Ordinal"/>; the stores never keep an empty collection,
/// so two snapshots with the same documents have the same collection names.
/// </remarks>
public sealed class StateSnapshot(long index, ImmutableDictionary<string, ImmutableSortedDictionary<string, StateEntry>> collections)
{
    private readonly ReadSet? _reads;
    private readonly StateSnapshot? _root;

    private StateSnapshot(StateSnapshot root, ReadSet reads) : this(root.Index, root.Collections)
    {
        _root = root;
        _reads = reads;
    }

    /// <summary>An empty collection with the key order every store uses.</summary>
    public static readonly ImmutableSortedDictionary<string, StateEntry> EmptyCollection =
        ImmutableSortedDictionary<string, StateEntry>.Empty.WithComparers(StringComparer.Ordinal);

    public static readonly StateSnapshot Empty = new(0, ImmutableDictionary<string, ImmutableSortedDictionary<string, StateEntry>>.Empty);

    public long Index { get; } = index;

    /// <summary>Values of <see cref="SnapshotView"/>s for this snapshot, by slot (set once each).</summary>
    private volatile object?[] _views = [];

    /// <summary>Taken by a view's full build, so concurrent readers build it once.</summary>
    /// <remarks>Made on first use: most snapshots (and every tracking view, which defers to its root) never build one.</remarks>
    internal Lock ViewLock
    {
        get
        {
            if (_viewLock is { } made) return made;
            Interlocked.CompareExchange(ref _viewLock, new Lock(), null);
            return _viewLock;
        }
    }

    private Lock? _viewLock;

    internal object? View(int slot)
    {
        var views = _views;
        return slot < views.Length ? views[slot] : null;
    }

    internal void SetView(int slot, object value)
    {
        lock (ViewLock)
        {
            var views = _views;
            var copy = new object?[Math.Max(views.Length, Math.Max(slot + 1, SnapshotView.Count))];
            views.CopyTo(copy, 0);
            copy[slot] = value;
            _views = copy;
        }
    }
    public ImmutableDictionary<string, ImmutableSortedDictionary<string, StateEntry>> Collections { get; } = collections;

    /// <summary>
    /// The same snapshot, recording in <paramref name="reads"/> every collection read through it, so a write decided
    /// on it can carry <see cref="StateOp.Unchanged"/> preconditions on exactly what its decision read.
    /// </summary>
    public StateSnapshot Tracking(ReadSet reads) => new(Root, reads);

    /// <summary>For a snapshot made by <see cref="Speculate"/>: the index its pending writes will be stored at.</summary>
    private long? _pendingIndex;

    /// <summary>
    /// This snapshot as it will be once <paramref name="ops"/> are written, without writing them: for deciding several
    /// writes one after another and storing them as one batch (group commit). It keeps this snapshot's
    /// <see cref="Index"/>, since nothing was written yet, and its entries carry the index the one batch will give them, so
    /// a decision made on it (a key's modify index for a check-and-set) holds once the batch is written. Read checks among
    /// the ops are not evaluated here: they are checked against the store when the batch is written. The views
    /// (<see cref="SnapshotView"/>) this snapshot holds are carried over with what the ops changed. Throws
    /// <see cref="PreconditionFailedException"/> as the write would.
    /// </summary>
    public StateSnapshot Speculate(IReadOnlyList<StateOp> ops)
    {
        var root = Root;
        var pending = root._pendingIndex ?? root.Index + 1;
        var batch = AppliedBatch.Apply(root, [.. ops.Where(o => !o.IsReadCheck)], pending);
        var next = new StateSnapshot(root.Index, batch.Snapshot.Collections) { _pendingIndex = pending };
        SnapshotView.Advance(root, next, batch.Changes.Select(c => (c.Collection, c.Key)));
        return next;
    }

    /// <summary>The snapshot itself when it tracks nothing; else the untracked snapshot it wraps (for per-snapshot caches).</summary>
    public StateSnapshot Root => _root ?? this;

    /// <summary>Notes a read a caller makes by other means (a per-snapshot cache built from <see cref="Root"/>).</summary>
    public void RecordRead(string collection) => _reads?.Add(collection);

    public ImmutableSortedDictionary<string, StateEntry> Entries(string collection)
    {
        _reads?.Add(collection);
        return Collections.TryGetValue(collection, out var c) ? c : EmptyCollection;
    }

    public StateEntry? Entry(string collection, string key)
    {
        _reads?.Add(collection);
        return Collections.TryGetValue(collection, out var c) && c.TryGetValue(key, out var e) ? e : null;
    }

    /// <summary>The store index of the last batch that wrote to <paramref name="collection"/> (0: none since the marker was kept).</summary>
    public long ChangedAt(string collection) =>
        Collections.TryGetValue(ChangeMarkers.Collection, out var c) && c.TryGetValue(collection, out var e) ? e.ModifyIndex : 0;

    public T? Get<T>(Collection<T> c, string key) where T : class
    {
        var e = Entry(c.Name, key);
        return e is null ? null : Decode(c, e);
    }

    public IEnumerable<T> All<T>(Collection<T> c) where T : class
    {
        foreach (var e in Entries(c.Name).Values) yield return Decode(c, e);
    }

    /// <summary>Entries whose key starts with the prefix, in key order.</summary>
    public IEnumerable<StateEntry> WithPrefix(string collection, string prefix)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        var entries = Entries(collection);
        return entries.KeyComparer == StringComparer.Ordinal
            ? SortedRange(entries, prefix).Select(kv => kv.Value)
            : entries.Where(kv => kv.Key.StartsWith(prefix, StringComparison.Ordinal)).Select(kv => kv.Value);
    }

    /// <summary>
    /// The prefix's keys from an ordinally sorted sequence. Under ordinal order they are contiguous, so the scan stops
    /// right after them (ImmutableSortedDictionary has no seek, so reaching the first one is still a walk).
    /// </summary>
    internal static IEnumerable<KeyValuePair<string, StateEntry>> SortedRange(
        IEnumerable<KeyValuePair<string, StateEntry>> ordinalSorted, string prefix)
    {
        foreach (var kv in ordinalSorted)
        {
            if (string.CompareOrdinal(kv.Key, prefix) < 0) continue;
            if (!kv.Key.StartsWith(prefix, StringComparison.Ordinal)) yield break;
            yield return kv;
        }
    }

    public static T Decode<T>(Collection<T> c, StateEntry e) where T : class
    {
        if (e.Decoded is T cached) return cached;
        var v = c.Deserialize(e.Value);
        e.Decoded = v;
        return v;
    }
}
