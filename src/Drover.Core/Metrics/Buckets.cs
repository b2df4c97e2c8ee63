namespace Drover.Core.Metrics;

/// <summary>Bucket bounds for histograms, in seconds.</summary>
public static class Buckets
{
    /// <summary>The Prometheus client libraries' default buckets (5 ms … 10 s): good for HTTP latency.</summary>
    public static readonly double[] Default = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    /// <summary>For sub-millisecond work (a DNS answer from memory, a SQLite write): 50 µs … 1 s.</summary>
    public static readonly double[] Fast = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];

    /// <summary>For deployments: 1 s … 1 h.</summary>
    public static readonly double[] Slow = [1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600];

    internal static double[] Validate(string metric, double[] buckets)
    {
        if (buckets.Length == 0) throw new ArgumentException($"metric {metric}: a histogram needs at least one bucket", nameof(buckets));
        for (var i = 0; i < buckets.Length; i++)
        {
            if (double.IsNaN(buckets[i]) || double.IsInfinity(buckets[i]))
                throw new ArgumentException($"metric {metric}: bucket bound {buckets[i]} must be finite (+Inf is always added)", nameof(buckets));
            if (i > 0 && buckets[i] <= buckets[i - 1])
                throw new ArgumentException($"metric {metric}: bucket bounds must rise strictly ({buckets[i - 1]} then {buckets[i]})", nameof(buckets));
        }
        return (double[])buckets.Clone();
    }
}
