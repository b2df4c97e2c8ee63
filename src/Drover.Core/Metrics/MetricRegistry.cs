using System.Text;

namespace Drover.Core.Metrics;

/// <summary>
/// The metrics a process exposes at <c>GET /metrics</c>. Families are created once at start-up (a second family with
/// the same name is a programming error and throws); values that are cheaper to read than to track (agents by state,
/// tasks by state) are filled in by collectors just before each scrape.
/// </summary>
public sealed class MetricRegistry
{
    /// <summary>The Content-Type of the text format this registry writes.</summary>
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    private readonly Lock _lock = new();
    private readonly List<MetricFamily> _families = [];
    private readonly HashSet<string> _names = [];
    private readonly List<Action> _collectors = [];

    public Counter Counter(string name, string help) => CounterFamily(name, help).Unlabeled;
    public CounterFamily CounterFamily(string name, string help, params string[] labelNames) => Add(new CounterFamily(name, help, labelNames));

    public Gauge Gauge(string name, string help) => GaugeFamily(name, help).Unlabeled;
    public GaugeFamily GaugeFamily(string name, string help, params string[] labelNames) => Add(new GaugeFamily(name, help, labelNames));

    public Histogram Histogram(string name, string help, double[] buckets) => HistogramFamily(name, help, buckets).Unlabeled;
    public HistogramFamily HistogramFamily(string name, string help, double[] buckets, params string[] labelNames) =>
        Add(new HistogramFamily(name, help, buckets, labelNames));

    /// <summary>Runs <paramref name="collect"/> before every scrape (one scrape at a time), to set gauges from current state.</summary>
    public void OnCollect(Action collect)
    {
        lock (_lock) _collectors.Add(collect);
    }

    public IReadOnlyList<MetricFamily> Families
    {
        get
        {
            lock (_lock) return [.. _families];
        }
    }

    /// <summary>The whole exposition. Scrapes are serialised: collectors reset and refill families, and two at once would interleave.</summary>
    public string Render()
    {
        lock (_lock)
        {
            foreach (var c in _collectors) c();
            var sb = new StringBuilder(4096);
            var w = new PrometheusTextWriter(sb);
            foreach (var f in _families) w.Family(f);
            return sb.ToString();
        }
    }

    private T Add<T>(T family) where T : MetricFamily
    {
        lock (_lock)
        {
            // histograms own name_bucket/_sum/_count too; a clash with those would make the exposition ambiguous
            if (!_names.Add(family.Name)) throw new InvalidOperationException($"metric {family.Name} is registered twice");
            _families.Add(family);
        }
        return family;
    }
}
