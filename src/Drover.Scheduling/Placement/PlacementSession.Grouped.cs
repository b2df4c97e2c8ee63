namespace Drover.Scheduling;

internal sealed partial class PlacementSession
{
    private int[] _candidates = [];
    private long[] _heap = [];
    private int[] _groupStart = [];
    private int[] _groupSize = [];
    private int[] _liveGroups = [];

    private const int IndexBits = 32;
    private const int BucketBits = 10;
    private const long MaxCountInKey = (1L << (63 - IndexBits - BucketBits)) - 1;

    /// <summary>Heap key: (tasks of this app on the agent, load bucket, agent index) — smaller is better.</summary>
    private long KeyOf(int a) =>
        (Math.Min(_appCount[a], MaxCountInKey) << (IndexBits + BucketBits)) | ((long)_index.BucketOf[a] << IndexBits) | (uint)a;

    /// <summary>
    /// Apps with GROUP_BY. One scan over all agents keeps those that pass now (constraints only get stricter
    /// and resources only shrink while the app is placed), grouped by the GROUP_BY value. Each group is a
    /// min-heap by <see cref="KeyOf"/>; each instance goes to the best agent of the value with the fewest of
    /// the app's tasks, after re-checking the agent against the app's latest placements.
    /// </summary>
    private int PlaceGrouped(int remaining)
    {
        var c = _constraints!;
        var n = _agents.Count;
        EnsureCapacity(n);
        var group = c.GroupBy!;
        var groups = group.Values.Count;

        var count = 0;
        for (var a = 0; a < n; a++)
        {
            if (!_agents.Active[a] || !Accepts(a)) continue;
            _candidates[count++] = a;
            _groupSize[group.ValueOf[a]]++;
        }
        if (count == 0) return remaining;

        var live = 0;
        for (int g = 0, start = 0; g < groups; g++)
        {
            _groupStart[g] = start;
            start += _groupSize[g];
            if (_groupSize[g] > 0) _liveGroups[live++] = g;
            _groupSize[g] = 0;
        }
        for (var i = 0; i < count; i++)
        {
            var a = _candidates[i];
            var g = group.ValueOf[a];
            _heap[_groupStart[g] + _groupSize[g]++] = KeyOf(a);
        }
        for (var i = 0; i < live; i++)
        {
            var g = _liveGroups[i];
            Heapify(_groupStart[g], _groupSize[g]);
        }

        while (remaining > 0 && live > 0)
        {
            var best = 0;
            for (var i = 1; i < live; i++)
            {
                if (IsBetterGroup(_liveGroups[i], _liveGroups[best], group)) best = i;
            }
            var g = _liveGroups[best];
            var start = _groupStart[g];
            var a = (int)(_heap[start] & 0xFFFFFFFF);
            if (Fits(a) && c.DynamicPass(a))
            {
                PlaceOn(a);
                remaining--;
                _heap[start] = KeyOf(a);
                SiftDown(start, _groupSize[g], 0);
                continue;
            }
            // Fails now, fails for the rest of this app: drop it.
            var size = --_groupSize[g];
            if (size == 0)
            {
                _liveGroups[best] = _liveGroups[--live];
                continue;
            }
            _heap[start] = _heap[start + size];
            SiftDown(start, size, 0);
        }
        for (var g = 0; g < groups; g++) _groupSize[g] = 0;
        return remaining;
    }

    private bool IsBetterGroup(int g, int than, FieldIndex group)
    {
        var cg = group.Counts[g];
        var ct = group.Counts[than];
        return cg != ct ? cg < ct : _heap[_groupStart[g]] < _heap[_groupStart[than]];
    }

    private void EnsureCapacity(int n)
    {
        if (_candidates.Length >= n) return;
        _candidates = new int[n];
        _heap = new long[n];
        _groupStart = new int[n + 1];
        _groupSize = new int[n + 1];
        _liveGroups = new int[n + 1];
    }

    private void Heapify(int start, int size)
    {
        for (var i = size / 2 - 1; i >= 0; i--) SiftDown(start, size, i);
    }

    private void SiftDown(int start, int size, int i)
    {
        var h = _heap;
        var item = h[start + i];
        while (true)
        {
            var child = 2 * i + 1;
            if (child >= size) break;
            if (child + 1 < size && h[start + child + 1] < h[start + child]) child++;
            if (h[start + child] >= item) break;
            h[start + i] = h[start + child];
            i = child;
        }
        h[start + i] = item;
    }
}
