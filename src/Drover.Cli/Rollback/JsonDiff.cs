using System.Text.Json;

namespace Drover.Cli.Rollback;

/// <summary>One changed field between two definitions: its path ("env.VERSION", "healthChecks[0].path") and both values (null = absent).</summary>
public sealed record FieldChange(string Path, string? From, string? To)
{
    public override string ToString() =>
        From is null ? $"+ {Path}: {To}" : To is null ? $"- {Path}: {From}" : $"~ {Path}: {From} → {To}";
}

/// <summary>A field-by-field diff of two JSON documents, for showing what a rollback changes.</summary>
public static class JsonDiff
{
    /// <param name="ignore">Top-level fields left out (server-set ones such as version).</param>
    public static IReadOnlyList<FieldChange> Compare(JsonElement from, JsonElement to, IReadOnlySet<string>? ignore = null)
    {
        var a = Flatten(from, ignore);
        var b = Flatten(to, ignore);
        var changes = new List<FieldChange>();
        foreach (var path in a.Keys.Union(b.Keys).Order(StringComparer.Ordinal))
        {
            a.TryGetValue(path, out var x);
            b.TryGetValue(path, out var y);
            if (x == y) continue;
            // "env": {} on one side and env.X on the other: the removed or added fields say it all
            if (x is null && IsEmpty(y) && HasChildren(a, path) || y is null && IsEmpty(x) && HasChildren(b, path)) continue;
            changes.Add(new FieldChange(path, x, y));
        }
        return changes;
    }

    private static bool IsEmpty(string? json) => json is "{}" or "[]";

    private static bool HasChildren(Dictionary<string, string> leaves, string path) =>
        leaves.Keys.Any(k => k.StartsWith(path + ".", StringComparison.Ordinal) || k.StartsWith(path + "[", StringComparison.Ordinal));

    /// <summary>Leaves: path → compact JSON of the value. Empty objects and arrays count as leaves so "[]" vs absent shows.</summary>
    public static Dictionary<string, string> Flatten(JsonElement e, IReadOnlySet<string>? ignore = null)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        void Walk(JsonElement v, string path)
        {
            switch (v.ValueKind)
            {
                case JsonValueKind.Object when v.EnumerateObject().Any():
                    foreach (var p in v.EnumerateObject())
                    {
                        if (path.Length == 0 && ignore?.Contains(p.Name) == true) continue;
                        Walk(p.Value, path.Length == 0 ? p.Name : $"{path}.{p.Name}");
                    }
                    break;
                case JsonValueKind.Array when v.GetArrayLength() > 0:
                    var i = 0;
                    foreach (var item in v.EnumerateArray()) Walk(item, $"{path}[{i++}]");
                    break;
                case JsonValueKind.Null:
                    break;
                default:
                    result[path] = v.GetRawText();
                    break;
            }
        }
        Walk(e, "");
        return result;
    }
}
