namespace Drover.Scheduling;

/// <summary>
/// Active agents ordered by (load bucket, agent index): one bitset over agent indices per bucket, plus a bitset of
/// non-empty buckets. Moving an agent is O(1); walking in order touches only non-empty buckets and yields agents
/// of equal load in agent-id order. Load is quantised to 1/<see cref="Buckets"/>, so agents whose utilisation
/// differs by less than that are treated as equally loaded.
/// </summary>
internal sealed class LoadIndex
{
    public const int Buckets = 1024;

    public readonly int Words;
    /// <summary>Bucket b's members live in Bits[b*Words .. (b+1)*Words).</summary>
    public readonly ulong[] Bits;
    public readonly ulong[] NonEmpty = new ulong[Buckets / 64];
    public readonly int[] BucketOf;
    private readonly int[] _size = new int[Buckets];

    public LoadIndex(int agents)
    {
        Words = Math.Max(1, (agents + 63) >> 6);
        Bits = new ulong[Buckets * Words];
        BucketOf = new int[agents];
        Array.Fill(BucketOf, -1);
    }

    public static int BucketFor(double load) => load <= 0 ? 0 : load >= 1 ? Buckets - 1 : (int)(load * Buckets);

    public void Add(int agent, int bucket)
    {
        BucketOf[agent] = bucket;
        Bits[bucket * Words + (agent >> 6)] |= 1UL << agent;
        if (_size[bucket]++ == 0) NonEmpty[bucket >> 6] |= 1UL << bucket;
    }

    public void Move(int agent, int bucket)
    {
        var old = BucketOf[agent];
        if (old == bucket || old < 0) return;
        Bits[old * Words + (agent >> 6)] &= ~(1UL << agent);
        if (--_size[old] == 0) NonEmpty[old >> 6] &= ~(1UL << old);
        Add(agent, bucket);
    }
}
