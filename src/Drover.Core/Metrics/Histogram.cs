namespace Drover.Core.Metrics;

/// <summary>
/// Observations counted into buckets by upper bound (Prometheus histogram). Each observation increments one bucket
/// (not every bucket above it, as the exposition shows them): cumulative counts are summed at scrape time, which is rare.
/// </summary>
public sealed class Histogram
{
    private readonly double[] _bounds;
    private readonly long[] _counts; // one per bound, plus +Inf
    private AtomicDouble _sum;

    internal Histogram(double[] bounds)
    {
        _bounds = bounds;
        _counts = new long[bounds.Length + 1];
    }

    public void Observe(double value)
    {
        // le is inclusive: a value equal to a bound falls in that bound's bucket
        var i = Array.BinarySearch(_bounds, value);
        if (i < 0) i = ~i;
        Interlocked.Increment(ref _counts[i]);
        _sum.Add(value);
    }

    /// <summary>Observes the seconds since <paramref name="startTimestamp"/> (from <see cref="System.Diagnostics.Stopwatch.GetTimestamp"/>).</summary>
    public void ObserveSince(long startTimestamp) => Observe(System.Diagnostics.Stopwatch.GetElapsedTime(startTimestamp).TotalSeconds);

    public double Sum => _sum.Read();

    public long Count
    {
        get
        {
            long n = 0;
            foreach (ref var c in _counts.AsSpan()) n += Volatile.Read(ref c);
            return n;
        }
    }

    /// <summary>Cumulative counts per bound, the last one for +Inf (equal to the count written with them).</summary>
    internal long[] CumulativeCounts()
    {
        var result = new long[_counts.Length];
        long running = 0;
        for (var i = 0; i < _counts.Length; i++)
        {
            running += Volatile.Read(ref _counts[i]);
            result[i] = running;
        }
        return result;
    }

    internal ReadOnlySpan<double> Bounds => _bounds;
}

/// <summary>Histograms by label values, all with the same buckets.</summary>
public sealed class HistogramFamily : MetricFamily<Histogram>
{
    private readonly double[] _bounds;

    public HistogramFamily(string name, string help, double[] buckets, string[] labelNames) : base(name, help, "histogram", labelNames)
    {
        if (labelNames.Contains("le")) throw new ArgumentException($"metric {name}: a histogram cannot have a label named 'le' (its buckets use it)", nameof(labelNames));
        _bounds = Buckets.Validate(name, buckets);
    }

    protected override Histogram NewChild() => new(_bounds);

    internal override void WriteChild(PrometheusTextWriter w, ReadOnlySpan<string> labelValues, Histogram child)
    {
        var cumulative = child.CumulativeCounts();
        var bounds = child.Bounds;
        for (var i = 0; i < bounds.Length; i++) w.Bucket(Name, LabelNames, labelValues, PrometheusTextWriter.FormatValue(bounds[i]), cumulative[i]);
        var count = cumulative[^1];
        w.Bucket(Name, LabelNames, labelValues, "+Inf", count);
        w.Sample(Name + "_sum", LabelNames, labelValues, child.Sum);
        w.Sample(Name + "_count", LabelNames, labelValues, count);
    }
}
