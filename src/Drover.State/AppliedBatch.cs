using System.Collections.Immutable;

namespace Drover.State;

/// <summary>The final state of one key touched by a batch; <see cref="Entry"/> null means deleted.</summary>
internal readonly record struct EntryChange(string Collection, string Key, StateEntry? Entry);

/// <summary>A validated batch: the snapshot it produces and the per-key changes a durable store must write.</summary>
/// <remarks><see cref="Stamps"/> are the <see cref="ChangeMarkers"/> puts for the collections the batch changed (already among <see cref="Changes"/>).</remarks>
internal sealed record AppliedBatch(StateSnapshot Snapshot, IReadOnlyCollection<EntryChange> Changes, IReadOnlyList<StateOp> Stamps)
{
    private static readonly byte[] Stamp = [];

    /// <summary>
    /// Applies <paramref name="ops"/> in order to a working copy of <paramref name="current"/>. Each precondition is
    /// checked against the state left by the earlier ops of the same batch (as in a Consul transaction); the first
    /// failure throws and the working copy is dropped, so nothing changes. Pure: no I/O, no locking.
    /// </summary>
    /// <param name="index">The index the batch's entries get; by default the one after <paramref name="current"/>'s.</param>
    public static AppliedBatch Apply(StateSnapshot current, IReadOnlyList<StateOp> ops, long? index = null)
    {
        var next = index ?? current.Index + 1;
        var touched = new Dictionary<string, ImmutableSortedDictionary<string, StateEntry>.Builder>(StringComparer.Ordinal);
        var changes = new Dictionary<(string Collection, string Key), EntryChange>();

        foreach (var op in ops)
        {
            Validate(op);
            if (op.IsReadCheck)
            {
                // the batch's own stamps come after its ops: a check compares the state before this batch
                var changedAt = current.ChangedAt(op.Collection);
                if (changedAt > op.ExpectedModifyIndex) throw new ReadConflictException(op.Collection, op.ExpectedModifyIndex!.Value, changedAt);
                continue;
            }
            if (!touched.TryGetValue(op.Collection, out var entries))
            {
                var existingEntries = current.Entries(op.Collection);
                // Prefix ranges rely on ordinal order; a hand-built snapshot may have used another comparer.
                if (existingEntries.KeyComparer != StringComparer.Ordinal) existingEntries = existingEntries.WithComparers(StringComparer.Ordinal);
                entries = existingEntries.ToBuilder();
                touched.Add(op.Collection, entries);
            }

            if (op.IsPrefixDelete)
            {
                foreach (var (key, _) in StateSnapshot.SortedRange(entries, op.Key).ToList())
                {
                    entries.Remove(key);
                    changes[(op.Collection, key)] = new EntryChange(op.Collection, key, null);
                }
                continue;
            }

            var existing = entries.GetValueOrDefault(op.Key);
            var actual = existing?.ModifyIndex ?? 0;
            if (op.ExpectedModifyIndex is { } expected && expected != actual)
                throw new PreconditionFailedException(op.Collection, op.Key, expected, actual);

            if (op.Value is null)
            {
                if (existing is null) continue;
                entries.Remove(op.Key);
                changes[(op.Collection, op.Key)] = new EntryChange(op.Collection, op.Key, null);
            }
            else
            {
                // Copied so a caller reusing its buffer cannot change a published snapshot.
                var entry = new StateEntry(op.Key, op.Value.ToArray(), existing?.CreateIndex ?? next, next) { Decoded = op.Written };
                entries[op.Key] = entry;
                changes[(op.Collection, op.Key)] = new EntryChange(op.Collection, op.Key, entry);
            }
        }

        var stamps = new List<StateOp>();
        foreach (var written in changes.Keys.Select(k => k.Collection).Where(c => c != ChangeMarkers.Collection).Distinct(StringComparer.Ordinal).ToList())
        {
            if (!touched.TryGetValue(ChangeMarkers.Collection, out var marks))
                touched.Add(ChangeMarkers.Collection, marks = current.Entries(ChangeMarkers.Collection).ToBuilder());
            var entry = new StateEntry(written, Stamp, marks.GetValueOrDefault(written)?.CreateIndex ?? next, next);
            marks[written] = entry;
            changes[(ChangeMarkers.Collection, written)] = new EntryChange(ChangeMarkers.Collection, written, entry);
            stamps.Add(new StateOp(ChangeMarkers.Collection, written, Stamp));
        }

        var collections = current.Collections;
        foreach (var (name, entries) in touched)
        {
            collections = entries.Count == 0 ? collections.Remove(name) : collections.SetItem(name, entries.ToImmutable());
        }
        return new AppliedBatch(new StateSnapshot(next, collections), changes.Values, stamps);
    }

    private static void Validate(StateOp op)
    {
        ArgumentNullException.ThrowIfNull(op);
        if (string.IsNullOrEmpty(op.Collection)) throw new ArgumentException("A state op needs a collection name.", nameof(op));
        ArgumentNullException.ThrowIfNull(op.Key, nameof(op));
        if (op.IsReadCheck)
        {
            if (op.Value is not null || op.IsPrefixDelete || op.ExpectedModifyIndex is not >= 0)
                throw new ArgumentException($"{op.Collection}: a read check takes no value and needs the index it read at.", nameof(op));
            return;
        }
        if (op.Collection == ChangeMarkers.Collection)
            throw new ArgumentException($"{op.Collection}/{op.Key}: the change markers are written by the store, not by a batch.", nameof(op));
        if (op.IsPrefixDelete)
        {
            if (op.Value is not null || op.ExpectedModifyIndex is not null)
                throw new ArgumentException($"{op.Collection}/{op.Key}*: a prefix delete takes no value and no precondition.", nameof(op));
            return;
        }
        if (op.Key.Length == 0) throw new ArgumentException($"{op.Collection}: empty key.", nameof(op));
        if (op.ExpectedModifyIndex < 0)
            throw new ArgumentException($"{op.Collection}/{op.Key}: negative expected modify index {op.ExpectedModifyIndex}.", nameof(op));
    }
}
