namespace Drover.Lb.Keepalived;

/// <summary>One lb host's part of a unicast VRRP group that holds the entry address (VIP).</summary>
public sealed record KeepalivedSettings
{
    /// <summary>The VIP with its prefix length, e.g. "10.0.0.100/24".</summary>
    public required string Vip { get; init; }
    /// <summary>The interface the VIP is added to and VRRP adverts leave from.</summary>
    public required string Interface { get; init; }
    /// <summary>The other lb hosts' addresses (unicast VRRP: no multicast needed, works in clouds and namespaces).</summary>
    public required IReadOnlyList<string> Peers { get; init; }
    /// <summary>This host's address for adverts; null = the interface's primary address (keepalived's default).</summary>
    public string? SourceAddress { get; init; }
    /// <summary>1–254; the highest priority with a passing check holds the VIP.</summary>
    public int Priority { get; init; } = 100;
    /// <summary>VRRP's virtual router id, 1–255, the same on every host of the group and unique on the segment.</summary>
    public int VirtualRouterId { get; init; } = 51;
    /// <summary>
    /// Off by default, as in keepalived: a recovered host of higher priority takes the VIP back, so the holder is the
    /// one the operator's priorities name, not an accident of history. On: the VIP stays where it is until that host
    /// fails (one move per failure instead of two).
    /// </summary>
    public bool Nopreempt { get; init; }
    /// <summary>
    /// The local HAProxy's health port on 127.0.0.1 (its <c>monitor-uri</c> frontend): the VIP leaves this host when
    /// HAProxy stops answering there, dead or hung, not only when its process is gone.
    /// </summary>
    public required int CheckPort { get; init; }
    /// <summary>The path that answers 200 on <see cref="CheckPort"/>.</summary>
    public string CheckPath { get; init; } = Haproxy.ConfigRenderer.MonitorUri;
    /// <summary>The track script written next to the config.</summary>
    public required string TrackScriptPath { get; init; }
    /// <summary>global_defs router_id: names this host in keepalived's logs.</summary>
    public string RouterName { get; init; } = "drover_lb";
    /// <summary>Seconds between VRRP adverts (and track checks).</summary>
    public int AdvertIntervalSeconds { get; init; } = 1;
}
