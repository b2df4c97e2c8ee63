namespace Drover.State;

/// <summary>One key a write changed, as a <see cref="SnapshotView{T}"/> sees it: its entry before and after (null: absent).</summary>
public readonly record struct SnapshotChange(string Collection, string Key, StateEntry? Before, StateEntry? After);

/// <summary>
/// A value derived from a snapshot (an index of tasks by agent, say), built once per snapshot and shared by every reader
/// of it. A store carries each view from one snapshot to the next as it publishes a write (<see cref="Advance"/>):
/// from the old value and only the keys the write changed, so a write costs the view what it changed, not what the
/// store holds (with 1,000,000 tasks, rebuilding an index on every write was bench/c1m's largest cost). A view not yet
/// asked for, or a snapshot reached some other way (loaded, reloaded after an etcd compaction), is built in full on
/// first use.
/// </summary>
public abstract class SnapshotView
{
    private static SnapshotView[] _all = [];
    private static readonly Lock Registry = new();

    /// <summary>This view's place in each snapshot's view slots.</summary>
    internal int Slot { get; }

    /// <summary>The collections the value is derived from: a write that touches none of them keeps the value as it is.</summary>
    public IReadOnlyList<string> Collections { get; }

    protected SnapshotView(params string[] collections)
    {
        Collections = collections;
        lock (Registry)
        {
            Slot = _all.Length;
            _all = [.. _all, this];
        }
    }

    internal static int Count => Volatile.Read(ref _all).Length;

    /// <summary>The view's value for <paramref name="after"/>, from its value for <paramref name="before"/> and the keys changed between them.</summary>
    internal abstract object Update(object before, StateSnapshot after, IReadOnlyList<SnapshotChange> changes);

    /// <summary>
    /// Carries every view <paramref name="before"/> holds over to <paramref name="after"/>, which differs from it only
    /// in <paramref name="touched"/> (the keys a batch or a watch response wrote; collections not among them are the
    /// same objects). Called by the one thread that publishes, before <paramref name="after"/> is published. A view that
    /// fails to update is left to be built in full on first use.
    /// </summary>
    internal static void Advance(StateSnapshot before, StateSnapshot after, IEnumerable<(string Collection, string Key)> touched)
    {
        var views = Volatile.Read(ref _all);
        List<(string Collection, string Key)>? keys = null;
        foreach (var view in views)
        {
            if (before.View(view.Slot) is not { } value) continue;
            if (view.Collections.All(c => ReferenceEquals(before.Entries(c), after.Entries(c))))
            {
                after.SetView(view.Slot, value);
                continue;
            }
            keys ??= [.. touched];
            var changes = new List<SnapshotChange>();
            foreach (var (collection, key) in keys)
                if (view.Collections.Contains(collection))
                    changes.Add(new SnapshotChange(collection, key, before.Entry(collection, key), after.Entry(collection, key)));
            try
            {
                after.SetView(view.Slot, view.Update(value, after, changes));
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // the first reader builds it in full, and meets the same error where it can report it
            }
        }
    }
}

/// <summary>A <see cref="SnapshotView"/> of values of type <typeparamref name="T"/>.</summary>
public abstract class SnapshotView<T>(params string[] collections) : SnapshotView(collections) where T : class
{
    /// <summary>The value from the whole snapshot.</summary>
    protected abstract T Build(StateSnapshot s);

    /// <summary>The value after a write, from the value before it and the keys it changed (only those of <see cref="SnapshotView.Collections"/>).</summary>
    protected abstract T Update(T before, StateSnapshot after, IReadOnlyList<SnapshotChange> changes);

    internal sealed override object Update(object before, StateSnapshot after, IReadOnlyList<SnapshotChange> changes) =>
        Update((T)before, after, changes);

    /// <summary>The value for <paramref name="s"/> (a tracking view records reads of <see cref="SnapshotView.Collections"/>).</summary>
    public T Get(StateSnapshot s)
    {
        foreach (var c in Collections) s.RecordRead(c);
        var root = s.Root;
        if (root.View(Slot) is T value) return value;
        lock (root.ViewLock)
        {
            // one build per snapshot, however many readers ask at once
            if (root.View(Slot) is T raced) return raced;
            var built = Build(root);
            root.SetView(Slot, built);
            return built;
        }
    }
}
