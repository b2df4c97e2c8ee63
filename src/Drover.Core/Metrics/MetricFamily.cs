using System.Collections.Concurrent;
using System.Text.RegularExpressions;

namespace Drover.Core.Metrics;

/// <summary>One metric name with its help text, type and label names; its samples are the children, one per label set.</summary>
public abstract partial class MetricFamily
{
    /// <summary>Enough for every metric Drover has (app, task, host); fixed so a lookup key needs no array.</summary>
    public const int MaxLabels = 3;

    protected MetricFamily(string name, string help, string type, string[] labelNames)
    {
        if (!NamePattern().IsMatch(name)) throw new ArgumentException($"'{name}' is not a valid metric name ([a-zA-Z_:][a-zA-Z0-9_:]*)", nameof(name));
        if (labelNames.Length > MaxLabels) throw new ArgumentException($"metric {name}: at most {MaxLabels} labels", nameof(labelNames));
        foreach (var l in labelNames)
        {
            if (!LabelPattern().IsMatch(l) || l.StartsWith("__", StringComparison.Ordinal))
                throw new ArgumentException($"metric {name}: '{l}' is not a valid label name ([a-zA-Z_][a-zA-Z0-9_]*, not starting with __)", nameof(labelNames));
        }
        if (labelNames.Distinct().Count() != labelNames.Length) throw new ArgumentException($"metric {name}: a label name appears twice", nameof(labelNames));
        Name = name;
        Help = help;
        Type = type;
        LabelNames = labelNames;
    }

    public string Name { get; }
    public string Help { get; }
    public string Type { get; }
    public string[] LabelNames { get; }

    internal abstract void WriteSamples(PrometheusTextWriter w);

    [GeneratedRegex("^[a-zA-Z_:][a-zA-Z0-9_:]*$")]
    private static partial Regex NamePattern();

    [GeneratedRegex("^[a-zA-Z_][a-zA-Z0-9_]*$")]
    private static partial Regex LabelPattern();
}

/// <summary>
/// Children by label values. A lookup with a label set seen before allocates nothing (the key is a struct of up to three
/// strings); callers on hot paths with a fixed label set keep the child and skip even the lookup.
/// </summary>
public abstract class MetricFamily<TChild> : MetricFamily where TChild : class
{
    private readonly ConcurrentDictionary<LabelKey, TChild> _children = new();

    protected MetricFamily(string name, string help, string type, string[] labelNames) : base(name, help, type, labelNames) { }

    protected abstract TChild NewChild();

    internal abstract void WriteChild(PrometheusTextWriter w, ReadOnlySpan<string> labelValues, TChild child);

    /// <summary>The metric without labels (only for a family with none).</summary>
    public TChild Unlabeled => Get(new LabelKey(null, null, null), 0);

    public TChild WithLabels(string v1) => Get(new LabelKey(v1 ?? "", null, null), 1);
    public TChild WithLabels(string v1, string v2) => Get(new LabelKey(v1 ?? "", v2 ?? "", null), 2);
    public TChild WithLabels(string v1, string v2, string v3) => Get(new LabelKey(v1 ?? "", v2 ?? "", v3 ?? ""), 3);

    /// <summary>Drops one label set (a task that is gone), so the scrape stops showing it.</summary>
    public bool Remove(string v1, string? v2 = null, string? v3 = null) => _children.TryRemove(new LabelKey(v1, v2, v3), out _);

    /// <summary>Drops every label set; for families rebuilt from scratch at each scrape.</summary>
    public void Clear() => _children.Clear();

    private TChild Get(LabelKey key, int count)
    {
        if (count != LabelNames.Length)
            throw new ArgumentException($"metric {Name} has {LabelNames.Length} label(s) ({string.Join(", ", LabelNames)}), not {count}");
        return _children.TryGetValue(key, out var child) ? child : _children.GetOrAdd(key, _ => NewChild());
    }

    internal override void WriteSamples(PrometheusTextWriter w)
    {
        // sorted, so a scrape reads the same from one time to the next (and diffs cleanly)
        var children = _children.ToArray();
        Array.Sort(children, static (a, b) => a.Key.CompareTo(b.Key));
        var values = new string[LabelNames.Length];
        foreach (var (key, child) in children)
        {
            key.CopyTo(values);
            WriteChild(w, values, child);
        }
    }
}

internal readonly record struct LabelKey(string? A, string? B, string? C) : IComparable<LabelKey>
{
    public int CompareTo(LabelKey other)
    {
        var c = string.CompareOrdinal(A, other.A);
        if (c != 0) return c;
        c = string.CompareOrdinal(B, other.B);
        return c != 0 ? c : string.CompareOrdinal(C, other.C);
    }

    public void CopyTo(Span<string> values)
    {
        if (values.Length > 0) values[0] = A!;
        if (values.Length > 1) values[1] = B!;
        if (values.Length > 2) values[2] = C!;
    }
}
