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
    /// <summary>
    /// A frontend on 127.0.0.1 answering 200 on <see cref="ConfigRenderer.MonitorUri"/> for keepalived's track script
    /// (<c>drover lb --vip</c>); 0 = none.
    /// </summary>
    public int MonitorPort { get; init; }
}
