namespace Drover.Cli.Output;

/// <summary>
/// Plain aligned columns, like kubectl or nomad output: easy to read and to grep. On a terminal
/// narrower than the table, the columns marked shrinkable are cut (with "…"), widest first.
/// </summary>
public sealed class Table
{
    private readonly string[] _headers;
    private readonly HashSet<int> _shrinkable = [];
    private readonly List<string[]> _rows = [];

    /// <param name="headers">Column names; a trailing '~' marks a column that may be shortened to fit ("APP~").</param>
    public Table(params string[] headers)
    {
        _headers = new string[headers.Length];
        for (var i = 0; i < headers.Length; i++)
        {
            if (headers[i].EndsWith('~')) { _shrinkable.Add(i); _headers[i] = headers[i][..^1]; }
            else _headers[i] = headers[i];
        }
    }

    public int Count => _rows.Count;

    public void Add(params object?[] cells) => _rows.Add(cells.Select(c => c?.ToString() is { Length: > 0 } s ? s : "-").ToArray());

    /// <param name="maxWidth">The terminal's width; int.MaxValue for pipes.</param>
    public void Write(TextWriter w, int maxWidth = int.MaxValue)
    {
        var widths = _headers.Select((h, i) => Math.Max(h.Length, _rows.Count == 0 ? 0 : _rows.Max(r => i < r.Length ? r[i].Length : 0))).ToArray();
        Fit(widths, maxWidth);
        w.WriteLine(Line(_headers, widths));
        foreach (var r in _rows) w.WriteLine(Line(r, widths));
    }

    private void Fit(int[] widths, int maxWidth)
    {
        const int gap = 2, floor = 6;
        while (widths.Sum() + gap * (widths.Length - 1) > maxWidth)
        {
            var widest = _shrinkable.Where(i => widths[i] > Math.Max(floor, _headers[i].Length)).OrderByDescending(i => widths[i]).FirstOrDefault(-1);
            if (widest < 0) return;
            widths[widest]--;
        }
    }

    private static string Line(string[] cells, int[] widths) =>
        string.Join("  ", cells.Select((c, i) => Cell(c, widths[i], last: i == cells.Length - 1))).TrimEnd();

    private static string Cell(string text, int width, bool last)
    {
        if (text.Length > width) text = text[..Math.Max(0, width - 1)] + "…";
        return last ? text : text.PadRight(width);
    }
}
