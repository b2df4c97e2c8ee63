using Drover.Core.Routing;

namespace Drover.Lb;

/// <summary>How `drover lb` (and the lb of `drover up`) runs.</summary>
public sealed record LbOptions
{
    /// <summary>Where haproxy.cfg and the sockets live.</summary>
    public required string DataDir { get; init; }
    public string HaproxyPath { get; init; } = "haproxy";
    public string Group { get; init; } = LbLabels.DefaultGroup;
    /// <summary>Address every frontend binds to ("*" = all, as marathon-lb).</summary>
    public string BindAddress { get; init; } = "*";
    /// <summary>The shared HTTP frontend for vhost and path routes; marathon-lb uses 80.</summary>
    public int HttpPort { get; init; } = 80;
    /// <summary>The lb's own status endpoint (GET /lb/status); port 0 picks a free one.</summary>
    public string StatusListen { get; init; } = DefaultStatusListen;
    /// <summary>Attach mode: the master CLI socket of an HAProxy started by someone else with "-W -S".</summary>
    public string? AttachMasterSocket { get; init; }
    /// <summary>Attach mode: the config file that HAProxy was started with ("-f"); the lb rewrites it.</summary>
    public string? AttachConfig { get; init; }
    /// <summary>This lb's registration id with the server; stable across restarts so a restart re-registers the same lb.</summary>
    public string? Id { get; init; }
    /// <summary>--nginx (Nginx instead of HAProxy) and --vip (keepalived); validated by <see cref="LbEdgeOptions.Validate"/>.</summary>
    public LbEdgeOptions Edge { get; init; } = new();

    public const string DefaultStatusListen = "127.0.0.1:9090";

    public string MasterSocket => AttachMasterSocket ?? Path.Combine(DataDir, "master.sock");
    public string ConfigPath => AttachConfig ?? Path.Combine(DataDir, "haproxy.cfg");
    /// <summary>The PID of the HAProxy master this lb started, so a restarted lb re-adopts it (none in attach mode).</summary>
    public string? PidFile => AttachMasterSocket is null ? Path.Combine(DataDir, "haproxy.pid") : null;
    public string AdminSocket => Path.Combine(DataDir, "admin.sock");
    public string KeepalivedDir => Path.Combine(DataDir, "keepalived");
    public string EffectiveId => Id ?? $"{Environment.MachineName}-{Group}-{HttpPort}";
}
