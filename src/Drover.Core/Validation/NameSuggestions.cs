namespace Drover.Core.Validation;

/// <summary>"Did you mean …?": the known name closest to a mistyped one.</summary>
public static class NameSuggestions
{
    /// <summary>Names at least this long may be 3 edits away from their suggestion; shorter ones 2.</summary>
    public const int LongName = 10;

    /// <summary>
    /// A case-insensitive match first, then the nearest name by Damerau–Levenshtein distance (≤ 2, or
    /// ≤ 3 for long names, and fewer edits than the name has characters, so "x" does not suggest "id").
    /// Ties go to the earlier candidate. Null when nothing is close.
    /// </summary>
    public static string? Closest(string name, IEnumerable<string> candidates)
    {
        var list = candidates as IReadOnlyList<string> ?? candidates.ToList();
        foreach (var c in list)
        {
            if (string.Equals(c, name, StringComparison.OrdinalIgnoreCase)) return c;
        }
        var limit = name.Length >= LongName ? 3 : 2;
        var lower = name.ToLowerInvariant();
        string? best = null;
        var bestDistance = int.MaxValue;
        foreach (var c in list)
        {
            // the distance is at least the difference in length: skip the quadratic work for hopeless pairs
            if (Math.Abs(c.Length - name.Length) > limit) continue;
            var d = Distance(lower, c.ToLowerInvariant());
            if (d <= limit && d < name.Length && d < bestDistance)
            {
                best = c;
                bestDistance = d;
            }
        }
        return best;
    }

    /// <summary>Edits (insert, delete, substitute, swap two neighbours) from a to b; the "optimal string alignment" variant.</summary>
    public static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++) d[i, 0] = i;
        for (var j = 0; j <= b.Length; j++) d[0, j] = j;
        for (var i = 1; i <= a.Length; i++)
        {
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                var best = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                    best = Math.Min(best, d[i - 2, j - 2] + 1);
                d[i, j] = best;
            }
        }
        return d[a.Length, b.Length];
    }
}
