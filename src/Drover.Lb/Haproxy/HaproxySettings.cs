namespace Drover.Lb.Haproxy;

/// <summary>Where the rendered HAProxy listens and how it is administered.</summary>
public sealed record HaproxySettings
{
    /// <summary>Address every frontend binds to ("*" = all).</summary>
    public string BindAddress { get; init; } = "*";
    /// <summary>The shared HTTP frontend (vhost and path routes); 0 = none. marathon-lb uses 80.</summary>
    public int HttpPort { get; init; } = 80;
    /// <summary>The runtime API socket (admin level, with listener FDs for hitless reloads).</summary>
    public required string StatsSocket { get; init; }
    /// <summary>Cookie name for HAPROXY_{n}_STICKY.</summary>
    public string StickyCookie { get; init; } = "DROVER_SERVER";
    /// <summary>HAProxy's own checks (HAPROXY_{n}_HTTP_CHECK_PATH): interval in ms.</summary>
    public int CheckIntervalMs { get; init; } = 2000;
}
