using Drover.State.Etcd.Client;

namespace Drover.State.Etcd;

/// <summary>A compare that came from an op's precondition, kept so a failed txn can name the op.</summary>
/// <remarks>A read check (<see cref="StateOp.Unchanged"/>) compares the collection's change stamp: its mod_revision must not pass <see cref="Expected"/>.</remarks>
internal sealed record OpCompare(string Collection, string Key, long Expected, byte[] EtcdKey, bool IsReadCheck = false)
{
    public bool HeldBy(long actualModRevision) => IsReadCheck ? actualModRevision <= Expected : actualModRevision == Expected;
}

/// <summary>
/// Turns a batch into one etcd transaction. etcd compares everything before it writes and refuses a txn that puts a
/// key twice or puts inside a range it deletes, so the plan sends the batch's net effect: one put or delete per key,
/// prefix deletes as delete ranges split around the keys the batch writes after them, and a compare only for the
/// first precondition on each key (later ones depend on the batch itself and were checked by AppliedBatch).
/// </summary>
internal sealed record EtcdTxnPlan(IReadOnlyList<OpCompare> OpCompares, IReadOnlyList<RequestOp> Writes)
{
    public bool HasPuts => Writes.Any(w => w.RequestPut is not null);

    public static EtcdTxnPlan Build(EtcdKeyLayout layout, IReadOnlyList<StateOp> ops)
    {
        var finals = new Dictionary<string, (byte[] Key, byte[]? Value)>(StringComparer.Ordinal);
        var ranges = new List<(byte[] Start, byte[] End)>();
        var compares = new List<OpCompare>();
        var compared = new HashSet<string>(StringComparer.Ordinal);

        foreach (var op in ops)
        {
            if (op.IsReadCheck)
            {
                compares.Add(new OpCompare(op.Collection, "", op.ExpectedModifyIndex ?? 0, layout.Key(ChangeMarkers.Collection, op.Collection), IsReadCheck: true));
                continue;
            }
            if (op.IsPrefixDelete)
            {
                var start = layout.Key(op.Collection, op.Key);
                var end = EtcdKeys.PrefixEnd(start);
                foreach (var (id, (key, _)) in finals.ToList())
                    if (InRange(key, start, end)) finals.Remove(id);
                ranges.Add((start, end));
                continue;
            }

            var etcdKey = layout.Key(op.Collection, op.Key);
            var keyId = Convert.ToBase64String(etcdKey);
            var touched = finals.ContainsKey(keyId) || ranges.Any(r => InRange(etcdKey, r.Start, r.End));
            if (op.ExpectedModifyIndex is { } expected && !touched && compared.Add(keyId))
                compares.Add(new OpCompare(op.Collection, op.Key, expected, etcdKey));
            finals[keyId] = (etcdKey, op.Value);
        }

        var writes = new List<RequestOp>();
        var puts = finals.Values.Where(f => f.Value is not null).Select(f => f.Key).OrderBy(k => k, ByteOrder.Instance).ToList();
        foreach (var (key, value) in finals.Values)
        {
            if (value is not null) writes.Add(new RequestOp(RequestPut: new PutRequest(key, value)));
            else if (!ranges.Any(r => InRange(key, r.Start, r.End))) writes.Add(new RequestOp(RequestDeleteRange: new DeleteRangeRequest(key)));
        }
        foreach (var (start, end) in ranges)
        {
            var from = start;
            foreach (var put in puts.Where(p => InRange(p, start, end)))
            {
                if (EtcdKeys.Compare(from, put) < 0) writes.Add(new RequestOp(RequestDeleteRange: new DeleteRangeRequest(from, put)));
                from = EtcdKeys.After(put);
            }
            if (EtcdKeys.Compare(from, end) < 0) writes.Add(new RequestOp(RequestDeleteRange: new DeleteRangeRequest(from, end)));
        }
        return new EtcdTxnPlan(compares, writes);
    }

    public static EtcdCompare ToCompare(OpCompare c) =>
        c.IsReadCheck ? new EtcdCompare(c.EtcdKey, CompareTarget.MOD, CompareResult.LESS, ModRevision: c.Expected + 1)
        : c.Expected == 0 ? EtcdCompare.CreateRevisionIs(c.EtcdKey, 0) : EtcdCompare.ModRevisionIs(c.EtcdKey, c.Expected);

    private static bool InRange(byte[] key, byte[] start, byte[] end) => EtcdKeys.Compare(key, start) >= 0 && EtcdKeys.Compare(key, end) < 0;

    private sealed class ByteOrder : IComparer<byte[]>
    {
        public static readonly ByteOrder Instance = new();
        public int Compare(byte[]? x, byte[]? y) => EtcdKeys.Compare(x, y);
    }
}

/// <summary><c>&lt;prefix&gt;&lt;collection&gt;/&lt;key&gt;</c> and back.</summary>
internal sealed class EtcdKeyLayout(string prefix)
{
    public string Prefix { get; } = prefix;
    public byte[] PrefixBytes { get; } = EtcdKeys.Utf8(prefix);
    public byte[] PrefixEnd { get; } = EtcdKeys.PrefixEnd(EtcdKeys.Utf8(prefix));

    public byte[] Key(string collection, string key) => EtcdKeys.Utf8(Prefix + collection + "/" + key);

    /// <summary>Splits an etcd key under the prefix; false for a key that is not <c>collection/key</c>.</summary>
    public bool TryParse(byte[] etcdKey, out string collection, out string key)
    {
        collection = key = "";
        if (etcdKey.Length <= PrefixBytes.Length || !etcdKey.AsSpan().StartsWith(PrefixBytes)) return false;
        var rest = System.Text.Encoding.UTF8.GetString(etcdKey, PrefixBytes.Length, etcdKey.Length - PrefixBytes.Length);
        var slash = rest.IndexOf('/', StringComparison.Ordinal);
        if (slash <= 0 || slash == rest.Length - 1) return false;
        collection = rest[..slash];
        key = rest[(slash + 1)..];
        return true;
    }
}
