using System.Text;
using Drover.Core.Discovery;

namespace Drover.Server.Discovery;

/// <summary>
/// The app labels (and external service Meta keys) discovery reads, and how names are derived.
/// </summary>
public static class DiscoveryLabels
{
    /// <summary>Overrides the service name derived from the app id.</summary>
    public const string ServiceName = "DROVER_SERVICE_NAME";
    /// <summary>Comma-separated tags of every task of the app (replaced per task by PUT /v1/drover/tasks/{id}/tags).</summary>
    public const string Tags = "DROVER_TAGS";
    /// <summary>Tag priority of the service's failover name, best first: "master,slave".</summary>
    public const string Failover = "DROVER_FAILOVER";
    /// <summary>Name of the failover name (default "&lt;service&gt;-vip").</summary>
    public const string FailoverAlias = "DROVER_FAILOVER_ALIAS";
    /// <summary>"false": once failed over, stay on the lower tag when the better one comes back.</summary>
    public const string FailBack = "DROVER_FAILBACK";

    /// <summary>
    /// Mesos-DNS style: path segments reversed and joined with '-', each made an RFC 1123 label
    /// ("/prod/web" → "web-prod", "/a/web.v2" → "web-v2-a").
    /// </summary>
    public static string ServiceNameOf(string appId, IReadOnlyDictionary<string, string> labels)
    {
        if (labels.TryGetValue(ServiceName, out var overridden) && Label(overridden) is { Length: > 0 } name) return name;
        var parts = appId.Split('/', StringSplitOptions.RemoveEmptyEntries).Reverse().Select(Label).Where(p => p.Length > 0);
        var joined = string.Join('-', parts);
        return joined.Length > 0 ? joined : "root";
    }

    /// <summary>
    /// An RFC 1123 label as Mesos-DNS makes it: lowercase, a-z 0-9 kept, '-' '.' '_' become '-', anything else
    /// dropped; no leading or trailing '-'; at most 63 characters.
    /// </summary>
    public static string Label(string s)
    {
        var sb = new StringBuilder(s.Length);
        foreach (var c in s)
        {
            var l = char.ToLowerInvariant(c);
            if (l is >= 'a' and <= 'z' or >= '0' and <= '9') sb.Append(l);
            else if (l is '-' or '.' or '_') sb.Append('-');
        }
        var label = sb.ToString().Trim('-');
        if (label.Length > 63) label = label[..63].TrimEnd('-');
        return label;
    }

    /// <summary>Comma-separated list, trimmed, empties dropped, first occurrence kept.</summary>
    public static IReadOnlyList<string> SplitList(string? s) =>
        string.IsNullOrWhiteSpace(s) ? [] : s.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Distinct(StringComparer.Ordinal).ToList();

    /// <summary>The failover policy declared by labels or Meta (null when DROVER_FAILOVER is absent or empty).</summary>
    public static FailoverPolicy? FailoverOf(string service, IReadOnlyDictionary<string, string> labels)
    {
        if (!labels.TryGetValue(Failover, out var priority)) return null;
        var tags = SplitList(priority);
        if (tags.Count == 0) return null;
        labels.TryGetValue(FailoverAlias, out var alias);
        labels.TryGetValue(FailBack, out var failBack);
        return new FailoverPolicy
        {
            Service = service,
            TagPriority = tags,
            Alias = string.IsNullOrWhiteSpace(alias) ? null : Label(alias),
            FailBack = !string.Equals(failBack?.Trim(), "false", StringComparison.OrdinalIgnoreCase),
        };
    }
}
