namespace Drover.Core.Metrics;

/// <summary>
/// A double updated without locks (compare-and-swap on its bits): metric hooks sit on hot paths such as every DNS
/// query, where a lock would serialise the handlers.
/// </summary>
internal struct AtomicDouble
{
    private long _bits;

    public double Read() => BitConverter.Int64BitsToDouble(Volatile.Read(ref _bits));

    public void Set(double value) => Volatile.Write(ref _bits, BitConverter.DoubleToInt64Bits(value));

    public void Add(double delta)
    {
        var seen = Volatile.Read(ref _bits);
        while (true)
        {
            var next = BitConverter.DoubleToInt64Bits(BitConverter.Int64BitsToDouble(seen) + delta);
            var actual = Interlocked.CompareExchange(ref _bits, next, seen);
            if (actual == seen) return;
            seen = actual;
        }
    }
}
