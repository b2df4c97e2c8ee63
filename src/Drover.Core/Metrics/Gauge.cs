namespace Drover.Core.Metrics;

/// <summary>A value that goes up and down (Prometheus gauge).</summary>
public sealed class Gauge
{
    private AtomicDouble _value;

    public void Set(double value) => _value.Set(value);
    public void Inc(double amount = 1) => _value.Add(amount);
    public void Dec(double amount = 1) => _value.Add(-amount);
    public double Value => _value.Read();
}

/// <summary>Gauges by label values.</summary>
public sealed class GaugeFamily(string name, string help, string[] labelNames)
    : MetricFamily<Gauge>(name, help, "gauge", labelNames)
{
    protected override Gauge NewChild() => new();

    internal override void WriteChild(PrometheusTextWriter w, ReadOnlySpan<string> labelValues, Gauge child) =>
        w.Sample(Name, LabelNames, labelValues, child.Value);
}
