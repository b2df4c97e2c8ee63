namespace Drover.Server.Apps;

/// <summary>Marathon's ?label= selector: k, k==v, k!=v, k in (a,b), k notin (a,b); comma = AND; '\' escapes.</summary>
public sealed class LabelSelector
{
    private readonly List<Func<IReadOnlyDictionary<string, string>, bool>> _terms = [];

    public static LabelSelector Parse(string text)
    {
        var sel = new LabelSelector();
        foreach (var term in SplitTopLevel(text))
        {
            var t = term.Trim();
            if (t.Length == 0) continue;
            sel._terms.Add(ParseTerm(t));
        }
        return sel;
    }

    public bool Matches(IReadOnlyDictionary<string, string> labels) => _terms.All(t => t(labels));

    private static Func<IReadOnlyDictionary<string, string>, bool> ParseTerm(string t)
    {
        int i;
        if ((i = t.IndexOf("!=", StringComparison.Ordinal)) > 0)
        {
            var (k, v) = (Unescape(t[..i].Trim()), Unescape(t[(i + 2)..].Trim()));
            return l => !l.TryGetValue(k, out var x) || x != v;
        }
        if ((i = t.IndexOf("==", StringComparison.Ordinal)) > 0)
        {
            var (k, v) = (Unescape(t[..i].Trim()), Unescape(t[(i + 2)..].Trim()));
            return l => l.TryGetValue(k, out var x) && x == v;
        }
        var notin = t.IndexOf(" notin ", StringComparison.Ordinal);
        var @in = t.IndexOf(" in ", StringComparison.Ordinal);
        if (notin > 0 || @in > 0)
        {
            var neg = notin > 0;
            var at = neg ? notin : @in;
            var k = Unescape(t[..at].Trim());
            var rest = t[(at + (neg ? 7 : 4))..].Trim();
            if (!rest.StartsWith('(') || !rest.EndsWith(')'))
                throw Http.ApiException.BadRequest($"Invalid label selector '{t}': expected a list in parentheses");
            var values = SplitTopLevel(rest[1..^1]).Select(v => Unescape(v.Trim())).ToHashSet();
            return neg
                ? l => !l.TryGetValue(k, out var x) || !values.Contains(x)
                : l => l.TryGetValue(k, out var x) && values.Contains(x);
        }
        var key = Unescape(t);
        return l => l.ContainsKey(key);
    }

    private static IEnumerable<string> SplitTopLevel(string s)
    {
        var depth = 0;
        var start = 0;
        for (var i = 0; i < s.Length; i++)
        {
            var c = s[i];
            if (c == '\\') { i++; continue; }
            if (c == '(') depth++;
            else if (c == ')') depth--;
            else if (c == ',' && depth == 0) { yield return s[start..i]; start = i + 1; }
        }
        yield return s[start..];
    }

    private static string Unescape(string s) => s.Replace("\\", "", StringComparison.Ordinal);
}
