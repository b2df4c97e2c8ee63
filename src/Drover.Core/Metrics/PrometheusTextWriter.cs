using System.Globalization;
using System.Text;

namespace Drover.Core.Metrics;

/// <summary>
/// The Prometheus text exposition format, version 0.0.4: <c># HELP</c> and <c># TYPE</c> lines, then one sample per
/// line, <c>name{label="value",…} value</c>.
/// </summary>
internal sealed class PrometheusTextWriter(StringBuilder sb)
{
    public void Family(MetricFamily f)
    {
        sb.Append("# HELP ").Append(f.Name).Append(' ');
        EscapeHelp(sb, f.Help);
        sb.Append('\n');
        sb.Append("# TYPE ").Append(f.Name).Append(' ').Append(f.Type).Append('\n');
        f.WriteSamples(this);
    }

    public void Sample(string name, string[] labelNames, ReadOnlySpan<string> labelValues, double value)
    {
        sb.Append(name);
        Labels(labelNames, labelValues, null);
        sb.Append(' ').Append(FormatValue(value)).Append('\n');
    }

    public void Bucket(string name, string[] labelNames, ReadOnlySpan<string> labelValues, string le, long count)
    {
        sb.Append(name).Append("_bucket");
        Labels(labelNames, labelValues, le);
        sb.Append(' ').Append(count.ToString(CultureInfo.InvariantCulture)).Append('\n');
    }

    private void Labels(string[] names, ReadOnlySpan<string> values, string? le)
    {
        if (names.Length == 0 && le is null) return;
        sb.Append('{');
        for (var i = 0; i < names.Length; i++)
        {
            if (i > 0) sb.Append(',');
            sb.Append(names[i]).Append("=\"");
            EscapeLabelValue(sb, values[i]);
            sb.Append('"');
        }
        if (le is not null) sb.Append(names.Length > 0 ? "," : "").Append("le=\"").Append(le).Append('"');
        sb.Append('}');
    }

    /// <summary>Go's float formatting as Prometheus reads it: shortest round-trip, and +Inf/-Inf/NaN spelled its way.</summary>
    public static string FormatValue(double v) =>
        double.IsPositiveInfinity(v) ? "+Inf"
        : double.IsNegativeInfinity(v) ? "-Inf"
        : double.IsNaN(v) ? "NaN"
        : v.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>In label values: backslash, double quote and line feed are escaped.</summary>
    public static void EscapeLabelValue(StringBuilder sb, string value)
    {
        foreach (var c in value)
        {
            switch (c)
            {
                case '\\': sb.Append(@"\\"); break;
                case '"': sb.Append("\\\""); break;
                case '\n': sb.Append(@"\n"); break;
                default: sb.Append(c); break;
            }
        }
    }

    /// <summary>In help text: backslash and line feed only (a quote is literal there).</summary>
    public static void EscapeHelp(StringBuilder sb, string help)
    {
        foreach (var c in help)
        {
            switch (c)
            {
                case '\\': sb.Append(@"\\"); break;
                case '\n': sb.Append(@"\n"); break;
                default: sb.Append(c); break;
            }
        }
    }
}
