using Drover.Core.Routing;
using Drover.Lb.Haproxy;

namespace Drover.Lb.Control;

public sealed record LbControllerOptions
{
    /// <summary>This lb's registration id (PUT /v1/drover/lb/instances/{id}).</summary>
    public required string Id { get; init; }
    /// <summary>The HAPROXY_GROUP served; marathon-lb's default is "external".</summary>
    public string Group { get; init; } = LbLabels.DefaultGroup;
    public required HaproxySettings Settings { get; init; }
    /// <summary>Changes arriving this close together are applied as one (a scale of 50 tasks is one pass, not 50).</summary>
    public TimeSpan Debounce { get; init; } = TimeSpan.FromMilliseconds(20);
    /// <summary>How often HAProxy's runtime state is read back and drift repaired (marathon-lb resyncs on a timer too).</summary>
    public TimeSpan ResyncInterval { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary>After a failed runtime change or reload, when to try again.</summary>
    public TimeSpan RetryInterval { get; init; } = TimeSpan.FromSeconds(1);
    /// <summary>Until the server's first answer names one.</summary>
    public TimeSpan HeartbeatInterval { get; init; } = TimeSpan.FromSeconds(2);
    /// <summary>The blocking query's wait; the server answers at once on a change.</summary>
    public TimeSpan WatchWait { get; init; } = TimeSpan.FromMinutes(1);
}
