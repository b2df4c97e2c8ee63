namespace Drover.Core.Metrics;

/// <summary>A value that only goes up (Prometheus counter). Keep a reference to it to increment without any lookup.</summary>
public sealed class Counter
{
    private AtomicDouble _value;

    public void Inc() => _value.Add(1);

    /// <exception cref="ArgumentOutOfRangeException">A negative or NaN amount: a counter never goes down.</exception>
    public void Inc(double amount)
    {
        if (!(amount >= 0)) throw new ArgumentOutOfRangeException(nameof(amount), amount, "a counter only goes up: the amount must be 0 or more");
        _value.Add(amount);
    }

    public double Value => _value.Read();
}

/// <summary>Counters by label values (<c>drover_x_total{route="apps"}</c>).</summary>
public sealed class CounterFamily(string name, string help, string[] labelNames)
    : MetricFamily<Counter>(name, help, "counter", labelNames)
{
    protected override Counter NewChild() => new();

    internal override void WriteChild(PrometheusTextWriter w, ReadOnlySpan<string> labelValues, Counter child) =>
        w.Sample(Name, LabelNames, labelValues, child.Value);
}
