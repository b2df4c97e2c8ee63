namespace Drover.Scheduling;

/// <summary>
/// Active agents ordered by (load bucket, agent index): per bucket a bitset over agent indices plus a summary
/// bitset of its non-zero words, and a bitset of non-empty buckets. Moving an agent is O(1); a walk in order
/// touches only non-empty buckets and non-zero words, and yields agents of equal load in agent-id order.
/// Load is quantised to 1/<see cref="Buckets"/>: agents whose utilisation differs by less count as equal.
/// </summary>
internal sealed class LoadIndex
{
    public const int Buckets = 1024;

    public readonly int Words;
    public readonly int SummaryWords;
    /// <summary>Bucket b's members live in Bits[b*Words .. (b+1)*Words).</summary>
    public readonly ulong[] Bits;
    /// <summary>Bit w of bucket b's summary (Summary[b*SummaryWords + w/64]) is set when Bits word w of b is non-zero.</summary>
    public readonly ulong[] Summary;
    public readonly ulong[] NonEmpty = new ulong[Buckets / 64];
    public readonly int[] BucketOf;
    private readonly int[] _size = new int[Buckets];

    public LoadIndex(int agents)
    {
        Words = Math.Max(1, (agents + 63) >> 6);
        SummaryWords = (Words + 63) >> 6;
        Bits = new ulong[Buckets * Words];
        Summary = new ulong[Buckets * SummaryWords];
        BucketOf = new int[agents];
        Array.Fill(BucketOf, -1);
    }

    public static int BucketFor(double load) => load <= 0 ? 0 : load >= 1 ? Buckets - 1 : (int)(load * Buckets);

    public void Add(int agent, int bucket)
    {
        BucketOf[agent] = bucket;
        var w = agent >> 6;
        ref var word = ref Bits[bucket * Words + w];
        if (word == 0) Summary[bucket * SummaryWords + (w >> 6)] |= 1UL << w;
        word |= 1UL << agent;
        if (_size[bucket]++ == 0) NonEmpty[bucket >> 6] |= 1UL << bucket;
    }

    public void Move(int agent, int bucket)
    {
        var old = BucketOf[agent];
        if (old == bucket || old < 0) return;
        var w = agent >> 6;
        ref var word = ref Bits[old * Words + w];
        word &= ~(1UL << agent);
        if (word == 0) Summary[old * SummaryWords + (w >> 6)] &= ~(1UL << w);
        if (--_size[old] == 0) NonEmpty[old >> 6] &= ~(1UL << old);
        Add(agent, bucket);
    }
}
