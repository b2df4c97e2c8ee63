using System.Numerics;

namespace Drover.Scheduling;

internal sealed partial class PlacementSession
{
    private long[] _roundKeys = [];

    /// <summary>
    /// Places up to <paramref name="remaining"/> instances in rounds: round r offers one instance to each agent
    /// holding exactly r of the app's tasks, least loaded first (then agent id). Round 0 walks the global load
    /// index and stops as soon as the request is satisfied, so a typical request costs O(instances + agents
    /// skipped), not O(agents); agents the app's static constraints exclude are skipped 64 at a time.
    /// Within a round every agent is visited once and placing changes only the placed agent's load, so placing
    /// immediately keeps the order exact; constraints read the app's counts live, so they see every placement.
    /// </summary>
    private int Walk(int remaining)
    {
        remaining = WalkRoundZero(remaining);
        var r = 1;
        while (remaining > 0 && !LevelDone)
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
            for (var i = 0; i < n; i++)
            {
                var a = (int)(_roundKeys[i] & 0xFFFFFFFF);
                if (!Accepts(a)) continue;
                PlaceOn(a);
                placed++;
                if (--remaining == 0 || LevelDone) return remaining;
            }
            if (placed > 0) r++;
            else if (next == int.MaxValue) break;
            else r = next;
        }
        return remaining;
    }

    private int WalkRoundZero(int remaining)
    {
        var index = _index;
        var words = index.Words;
        var summaryWords = index.SummaryWords;
        var bits = index.Bits;
        var summary = index.Summary;
        var mask = _staticMask;
        // The loops copy bitset words: agents moved during the walk only go to higher buckets, and they now
        // hold a task of this app, so round 0 skips them anyway.
        for (var bw = 0; bw < index.NonEmpty.Length; bw++)
        {
            var buckets = index.NonEmpty[bw];
            while (buckets != 0)
            {
                var b = (bw << 6) + BitOperations.TrailingZeroCount(buckets);
                buckets &= buckets - 1;
                for (var sw = 0; sw < summaryWords; sw++)
                {
                    var nonZero = summary[b * summaryWords + sw];
                    while (nonZero != 0)
                    {
                        var w = (sw << 6) + BitOperations.TrailingZeroCount(nonZero);
                        nonZero &= nonZero - 1;
                        var word = bits[b * words + w];
                        if (mask is not null) word &= mask[w];
                        while (word != 0)
                        {
                            var a = (w << 6) + BitOperations.TrailingZeroCount(word);
                            word &= word - 1;
                            if (_appCount[a] != 0 || !Accepts(a)) continue;
                            PlaceOn(a);
                            if (--remaining == 0 || LevelDone) return remaining;
                        }
                    }
                }
            }
        }
        return remaining;
    }

    /// <summary>
    /// GROUP_BY: fill level by level. At level L only values holding exactly L of the app's tasks accept, so
    /// each value gets one more instance before any gets two — the value with the fewest tasks first — and
    /// within a level the usual order applies. A value whose agents cannot take more is passed over instead of
    /// blocking the others.
    /// </summary>
    private int PlaceGrouped(int remaining)
    {
        var c = _constraints!;
        var level = c.GroupBy!.NextLevel(-1);
        while (remaining > 0 && level >= 0)
        {
            if (c.StartLevel(level)) remaining = Walk(remaining);
            level = c.GroupBy.NextLevel(level);
        }
        c.EndLevels();
        return remaining;
    }

    private bool LevelDone => _constraints is { LevelDone: true };
}
