using System.Globalization;
using Drover.Core.Apps;

namespace Drover.Core.LoadBalancing;

/// <summary>
/// What the server itself needs to know about load-balancer labels: whether an app is routed by an lb at all (so its
/// tasks are drained out of the lbs before they are killed), and how long a kill may wait for that. The routing labels
/// themselves (HAPROXY_{n}_VHOST, …) are read by the lb, not here.
/// </summary>
public static class LbDrainLabels
{
    /// <summary>marathon-lb's label prefix: any HAPROXY_* label (HAPROXY_GROUP, HAPROXY_0_VHOST, …) puts the app behind an lb.</summary>
    public const string Prefix = "HAPROXY_";
    public const string Group = "HAPROXY_GROUP";
    /// <summary>Drover's own label (not an HAPROXY_* one, so lb label checks never see it): seconds a kill waits for the lbs to drain the task.</summary>
    public const string DrainTimeoutSeconds = "DROVER_LB_DRAIN_SECONDS";

    /// <summary>
    /// 5 s: a live lb acknowledges a drain within one watch round trip (well under a second), so this only bounds how
    /// long a wedged lb can hold up a scale-down or deployment; it matches the order of Mesos' default kill grace
    /// period (3 s) rather than a long connection-draining window, which HAProxy's drain state gives after the ack.
    /// </summary>
    public static readonly TimeSpan DefaultDrainTimeout = TimeSpan.FromSeconds(5);
    public static readonly TimeSpan MaxDrainTimeout = TimeSpan.FromMinutes(5);

    public static bool IsLoadBalanced(AppDefinition? app)
    {
        if (app is null) return false;
        foreach (var key in app.Labels.Keys)
        {
            if (key.StartsWith(Prefix, StringComparison.Ordinal)) return true;
        }
        return false;
    }

    /// <summary>The label's value, else the default. Submit-time validation (<see cref="DrainTimeoutError"/>) keeps bad values out.</summary>
    public static TimeSpan DrainTimeout(AppDefinition? app) =>
        app?.Labels.GetValueOrDefault(DrainTimeoutSeconds) is { } s && TryParseSeconds(s, out var t) ? t : DefaultDrainTimeout;

    /// <summary>Null when the app's drain label is absent or valid, else the message naming the label.</summary>
    public static string? DrainTimeoutError(IReadOnlyDictionary<string, string> labels) =>
        labels.GetValueOrDefault(DrainTimeoutSeconds) is not { } s || TryParseSeconds(s, out _)
            ? null
            : $"label {DrainTimeoutSeconds} must be a number of seconds from 0 to {MaxDrainTimeout.TotalSeconds:0}, not '{s}'";

    private static bool TryParseSeconds(string s, out TimeSpan value)
    {
        value = default;
        if (!double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var secs) || !double.IsFinite(secs)) return false;
        if (secs < 0 || secs > MaxDrainTimeout.TotalSeconds) return false;
        value = TimeSpan.FromSeconds(secs);
        return true;
    }
}
