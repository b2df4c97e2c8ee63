using System.Numerics;

namespace Drover.Scheduling;

internal sealed partial class PlacementSession
{
    private long[] _roundKeys = [];

    /// <summary>
    /// Apps without GROUP_BY (constraints, if any, are checked per agent as it is visited). Works in rounds: round r offers one instance to each agent that holds exactly r
    /// of the app's tasks, least loaded first. Round 0 walks the global load index and stops as soon as the
    /// request is satisfied, so a typical request costs O(instances + agents skipped), not O(agents).
    /// Within a round every agent is visited once and placing only changes the placed agent's load, so placing
    /// immediately keeps the order exact; constraints read the app's counts live, so they see every placement.
    /// </summary>
    private int PlaceSpread(int remaining)
    {
        remaining = SpreadRoundZero(remaining);
        var r = 1;
        while (remaining > 0)
        {
            var n = 0;
            var next = int.MaxValue;
            if (_roundKeys.Length < _appTouched.Count) _roundKeys = new long[Math.Max(_appTouched.Count, 2 * _roundKeys.Length)];
            foreach (var a in _appTouched)
            {
                var c = _appCount[a];
                if (c == r)
                {
                    if (_agents.Active[a]) _roundKeys[n++] = ((long)_index.BucketOf[a] << 32) | (uint)a;
                }
                else if (c > r && c < next) next = c;
            }
            Array.Sort(_roundKeys, 0, n);
            var placed = 0;
            for (var i = 0; i < n && remaining > 0; i++)
            {
                var a = (int)(_roundKeys[i] & 0xFFFFFFFF);
                if (!Accepts(a)) continue;
                PlaceOn(a);
                remaining--;
                placed++;
            }
            if (placed > 0) r++;
            else if (next == int.MaxValue) break;
            else r = next;
        }
        return remaining;
    }

    private int SpreadRoundZero(int remaining)
    {
        var index = _index;
        var words = index.Words;
        var bits = index.Bits;
        for (var bw = 0; bw < index.NonEmpty.Length; bw++)
        {
            // Copies of bitset words: agents moved during the walk only go to higher buckets, and they now
            // hold a task of this app, so round 0 would skip them anyway.
            var buckets = index.NonEmpty[bw];
            while (buckets != 0)
            {
                var b = (bw << 6) + BitOperations.TrailingZeroCount(buckets);
                buckets &= buckets - 1;
                var start = b * words;
                for (var w = 0; w < words; w++)
                {
                    var word = bits[start + w];
                    while (word != 0)
                    {
                        var a = (w << 6) + BitOperations.TrailingZeroCount(word);
                        word &= word - 1;
                        if (_appCount[a] != 0 || !Accepts(a)) continue;
                        PlaceOn(a);
                        if (--remaining == 0) return 0;
                    }
                }
            }
        }
        return remaining;
    }
}
