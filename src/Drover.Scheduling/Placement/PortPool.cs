using System.Numerics;
using Drover.Core.Cluster;

namespace Drover.Scheduling;

/// <summary>An agent's host port ranges, normalised (sorted, merged) and numbered 0..Total-1. Shared by agents with equal ranges.</summary>
internal sealed class PortLayout
{
    private readonly int[] _begin;
    private readonly int[] _end;
    private readonly int[] _offset;

    public int Total { get; }
    public string Key { get; }

    private PortLayout(List<(int Begin, int End)> ranges)
    {
        _begin = new int[ranges.Count];
        _end = new int[ranges.Count];
        _offset = new int[ranges.Count];
        var total = 0;
        for (var i = 0; i < ranges.Count; i++)
        {
            _begin[i] = ranges[i].Begin;
            _end[i] = ranges[i].End;
            _offset[i] = total;
            total += ranges[i].End - ranges[i].Begin + 1;
        }
        Total = total;
        Key = KeyOf(ranges);
    }

    public static PortLayout Create(IReadOnlyList<PortRange>? ranges, Dictionary<string, PortLayout> shared)
    {
        var list = new List<(int Begin, int End)>();
        if (ranges is not null)
        {
            foreach (var r in ranges)
            {
                var b = Math.Max(1, r.Begin);
                var e = Math.Min(65535, r.End);
                if (e >= b) list.Add((b, e));
            }
        }
        list.Sort();
        var merged = new List<(int Begin, int End)>(list.Count);
        foreach (var r in list)
        {
            if (merged.Count > 0 && r.Begin <= merged[^1].End + 1)
                merged[^1] = (merged[^1].Begin, Math.Max(merged[^1].End, r.End));
            else
                merged.Add(r);
        }
        var key = KeyOf(merged);
        if (!shared.TryGetValue(key, out var layout))
        {
            layout = new PortLayout(merged);
            shared[key] = layout;
        }
        return layout;
    }

    private static string KeyOf(List<(int Begin, int End)> ranges) => string.Join(',', ranges.Select(r => $"{r.Begin}-{r.End}"));

    /// <summary>Offset of a port, or -1 when it is outside every range.</summary>
    public int OffsetOf(int port)
    {
        for (var i = 0; i < _begin.Length; i++)
        {
            if (port < _begin[i]) return -1;
            if (port <= _end[i]) return _offset[i] + port - _begin[i];
        }
        return -1;
    }

    public int PortAt(int offset)
    {
        for (var i = _begin.Length - 1; i >= 0; i--)
        {
            if (offset >= _offset[i]) return _begin[i] + offset - _offset[i];
        }
        throw new ArgumentOutOfRangeException(nameof(offset));
    }
}

/// <summary>
/// Used host ports of one agent as a bitset over its layout, allocated lazily (an agent nobody asked ports of
/// costs nothing). Dynamic ports come from a cursor that moves round the ranges, so a port freed a moment ago
/// is not handed out again straight away (it may still be in TIME_WAIT or held by a slow-to-die task).
/// </summary>
internal struct PortPool
{
    public PortLayout Layout;
    private ulong[]? _used;
    public int Free;
    private int _cursor;

    public PortPool(PortLayout layout)
    {
        Layout = layout;
        Free = layout.Total;
    }

    public readonly bool IsFree(int port)
    {
        var off = Layout.OffsetOf(port);
        return off >= 0 && (_used is null || (_used[off >> 6] & (1UL << off)) == 0);
    }

    /// <summary>Marks a port taken (existing task or fixed requirement). Ports outside the ranges are ignored.</summary>
    public bool Take(int port)
    {
        var off = Layout.OffsetOf(port);
        if (off < 0) return false;
        var used = EnsureBits();
        ref var w = ref used[off >> 6];
        var bit = 1UL << off;
        if ((w & bit) != 0) return false;
        w |= bit;
        Free--;
        if (off >= _cursor) _cursor = off + 1 == Layout.Total ? 0 : off + 1;
        return true;
    }

    /// <summary>Takes the next free port at or after the cursor, wrapping round. Caller checks <see cref="Free"/> first.</summary>
    public int TakeNext()
    {
        var used = EnsureBits();
        var off = FindFree(used, _cursor);
        if (off < 0) off = FindFree(used, 0);
        if (off < 0) throw new InvalidOperationException("no free port");
        used[off >> 6] |= 1UL << off;
        Free--;
        _cursor = off + 1 == Layout.Total ? 0 : off + 1;
        return Layout.PortAt(off);
    }

    private static int FindFree(ulong[] used, int from)
    {
        var word = from >> 6;
        if (word >= used.Length) return -1;
        // Treat bits below 'from' in the first word as taken.
        var w = used[word] | ((1UL << (from & 63)) - 1);
        while (true)
        {
            if (w != ulong.MaxValue) return (word << 6) + BitOperations.TrailingZeroCount(~w);
            if (++word == used.Length) return -1;
            w = used[word];
        }
    }

    private ulong[] EnsureBits()
    {
        if (_used is not null) return _used;
        var total = Layout.Total;
        var words = (total + 63) >> 6;
        _used = new ulong[Math.Max(1, words)];
        // Bits past the end are permanently "used" so searches never return them.
        var tail = total & 63;
        if (tail != 0) _used[words - 1] = ~((1UL << tail) - 1);
        else if (words == 0) _used[0] = ulong.MaxValue;
        return _used;
    }
}
