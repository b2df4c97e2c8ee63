using System.Text;
using Drover.Core.Validation;
using Microsoft.AspNetCore.Http;

namespace Drover.Server.Http;

/// <summary>
/// RFC 7234 Warning headers (code 199, "miscellaneous warning") for input the API accepted but
/// ignored: like Marathon, unknown fields do not fail a write, but the client is told about each
/// one (a typo, usually) instead of finding out when the setting has no effect.
/// </summary>
public static class WarningHeaders
{
    /// <summary>At most this many warnings, then one "and N more".</summary>
    public const int MaxWarnings = 20;

    /// <summary>Field names are cut here, so a hostile body cannot produce huge headers.</summary>
    public const int MaxNameLength = 80;

    public static void AddUnknownFields(HttpResponse response, IReadOnlyList<UnknownField> unknown)
    {
        if (unknown.Count == 0) return;
        var values = unknown.Take(MaxWarnings).Select(f => Format(Text(f))).ToList();
        if (unknown.Count > MaxWarnings) values.Add(Format($"and {unknown.Count - MaxWarnings} more unknown fields ignored"));
        response.Headers.Append("Warning", values.ToArray());
    }

    /// <summary>unknown field 'instnaces' ignored (did you mean 'instances'?), with " at /path" below the top level.</summary>
    public static string Text(UnknownField f)
    {
        var name = Printable(f.Name, MaxNameLength);
        var printable = new UnknownField(Printable(f.Parent, 4 * MaxNameLength) + "/" + name, name, f.Suggestion);
        return printable.Describe("ignored");
    }

    /// <summary>199 drover "text": the text as a quoted-string (backslash before '"' and '\').</summary>
    public static string Format(string text)
    {
        var sb = new StringBuilder("199 drover \"", text.Length + 16);
        foreach (var c in text)
        {
            if (c is '"' or '\\') sb.Append('\\');
            sb.Append(c);
        }
        return sb.Append('"').ToString();
    }

    /// <summary>
    /// Header values must be visible ASCII (Kestrel answers anything else with a 500): other
    /// characters become JSON-style \uXXXX escapes, and text over <paramref name="max"/> is cut.
    /// </summary>
    public static string Printable(string s, int max)
    {
        var sb = new StringBuilder();
        foreach (var c in s)
        {
            var piece = c is >= ' ' and <= '~' ? c.ToString() : $"\\u{(int)c:x4}";
            if (sb.Length + piece.Length > max) return sb.Append("...").ToString();
            sb.Append(piece);
        }
        return sb.ToString();
    }
}
