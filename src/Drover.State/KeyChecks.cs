namespace Drover.State;

/// <summary>Per-key preconditions for a batch decided on an older snapshot: each key it writes must still be as that snapshot had it.</summary>
public static class KeyChecks
{
    /// <summary>
    /// <paramref name="ops"/> with <see cref="StateOp.ExpectedModifyIndex"/> set, on the first op of each key of the
    /// <paramref name="collections"/>, to the key's ModifyIndex in <paramref name="decidedOn"/> (0: it did not exist).
    /// Later ops on the same key see the batch's own earlier write, so they keep no precondition of their own.
    /// Ops that already carry a precondition, read checks and prefix deletes are left as they are.
    /// </summary>
    public static IReadOnlyList<StateOp> Add(StateSnapshot decidedOn, IReadOnlyList<StateOp> ops, IReadOnlyCollection<string> collections)
    {
        var root = decidedOn.Root; // no read to record: this is what the decision wrote, not what it read
        var seen = new HashSet<(string, string)>();
        var result = new List<StateOp>(ops.Count);
        foreach (var op in ops)
        {
            if (op.IsReadCheck || op.IsPrefixDelete || !collections.Contains(op.Collection) || !seen.Add((op.Collection, op.Key)))
            {
                result.Add(op);
                continue;
            }
            result.Add(op.ExpectedModifyIndex is not null ? op : op with { ExpectedModifyIndex = root.Entry(op.Collection, op.Key)?.ModifyIndex ?? 0 });
        }
        return result;
    }
}
