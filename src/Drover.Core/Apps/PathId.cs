using System.Text.RegularExpressions;

namespace Drover.Core.Apps;

/// <summary>Marathon path ids: absolute, '/'-separated, each segment a lowercase DNS-style label.</summary>
public static partial class PathId
{
    [GeneratedRegex(@"^(([a-z0-9]|[a-z0-9][a-z0-9\-]*[a-z0-9])\.)*([a-z0-9]|[a-z0-9][a-z0-9\-]*[a-z0-9])$")]
    private static partial Regex SegmentRegex();

    public static bool IsValidSegment(string segment) => SegmentRegex().IsMatch(segment);

    /// <summary>Resolves a possibly relative id against a base group, collapsing '.', '..' and duplicate slashes.</summary>
    public static string Canonical(string id, string baseGroup = "/")
    {
        var parts = new List<string>();
        if (!id.StartsWith('/'))
            parts.AddRange(baseGroup.Split('/', StringSplitOptions.RemoveEmptyEntries));
        foreach (var seg in id.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            if (seg == ".") continue;
            if (seg == "..") { if (parts.Count > 0) parts.RemoveAt(parts.Count - 1); continue; }
            parts.Add(seg);
        }
        return "/" + string.Join('/', parts);
    }

    /// <summary>The segments that are not valid labels (empty when the id is fine).</summary>
    public static IReadOnlyList<string> InvalidSegments(string canonicalId) =>
        canonicalId.Split('/', StringSplitOptions.RemoveEmptyEntries).Where(s => !IsValidSegment(s)).ToList();

    public static string Parent(string canonicalId)
    {
        var i = canonicalId.LastIndexOf('/');
        return i <= 0 ? "/" : canonicalId[..i];
    }

    /// <summary>Marathon's "safe" app id used in task ids: no leading slash, '/' → '_'.</summary>
    public static string Safe(string canonicalId) => canonicalId.TrimStart('/').Replace('/', '_');

    /// <summary>Recovers the app id from a task id of the form safeAppId.instance-uuid._app.n or safeAppId.uuid.</summary>
    public static string? AppIdFromTaskId(string taskId)
    {
        var dot = taskId.IndexOf('.');
        if (dot <= 0) return null;
        return "/" + taskId[..dot].Replace('_', '/');
    }

    public static bool IsUnder(string canonicalId, string group) =>
        group == "/" || canonicalId == group || canonicalId.StartsWith(group + "/", StringComparison.Ordinal);
}
