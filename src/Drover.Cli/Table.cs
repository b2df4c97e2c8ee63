namespace Drover.Cli;

/// <summary>Plain aligned columns, like kubectl/nomad output: easy to read and to grep.</summary>
public sealed class Table(params string[] headers)
{
    private readonly List<string[]> _rows = [];

    public void Add(params object?[] cells) => _rows.Add(cells.Select(c => c?.ToString() ?? "-").ToArray());

    public void Write(TextWriter w)
    {
        var widths = headers.Select((h, i) => Math.Max(h.Length, _rows.Count == 0 ? 0 : _rows.Max(r => i < r.Length ? r[i].Length : 0))).ToArray();
        w.WriteLine(Line(headers, widths));
        foreach (var r in _rows) w.WriteLine(Line(r, widths));
    }

    private static string Line(string[] cells, int[] widths) =>
        string.Join("  ", cells.Select((c, i) => i == cells.Length - 1 ? c : c.PadRight(widths[i]))).TrimEnd();
}
