using System.Net;
using Drover.Lb.Keepalived;
using Drover.Lb.Nginx;

namespace Drover.Lb;

/// <summary>
/// The edge options of <c>drover lb</c>: Nginx instead of (or beside) HAProxy, and the VIP that keepalived moves
/// between lb hosts. <see cref="Validate"/> names every bad value in operator terms (the option's spelling), before
/// anything is started.
/// </summary>
public sealed record LbEdgeOptions
{
    /// <summary>--nginx: render and run Nginx.</summary>
    public bool Nginx { get; init; }
    /// <summary>--nginx-config: the nginx.conf Drover writes.</summary>
    public string? NginxConfigPath { get; init; }
    /// <summary>--nginx-prefix: Nginx's prefix (pid, logs, temp files).</summary>
    public string? NginxPrefix { get; init; }
    /// <summary>--nginx-stream-module: ngx_stream_module.so, for TCP service ports.</summary>
    public string? NginxStreamModule { get; init; }
    /// <summary>The nginx executable (tests point it elsewhere; `drover lb` uses PATH's).</summary>
    public string NginxPath { get; init; } = "nginx";
    /// <summary>The keepalived executable.</summary>
    public string KeepalivedPath { get; init; } = "keepalived";

    /// <summary>--vip ADDR/prefix: turns keepalived on.</summary>
    public string? Vip { get; init; }
    /// <summary>--vip-interface.</summary>
    public string? VipInterface { get; init; }
    /// <summary>--vrrp-peer (repeatable): the other lb hosts.</summary>
    public IReadOnlyList<string> VrrpPeers { get; init; } = [];
    /// <summary>--vrrp-source: this host's address for adverts (default: the interface's).</summary>
    public string? VrrpSource { get; init; }
    /// <summary>--vrrp-priority, 1–254.</summary>
    public int VrrpPriority { get; init; } = 100;
    /// <summary>--vrrp-router-id, 1–255.</summary>
    public int VrrpRouterId { get; init; } = 51;
    /// <summary>--vrrp-nopreempt.</summary>
    public bool VrrpNopreempt { get; init; }

    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (Nginx)
        {
            if (string.IsNullOrWhiteSpace(NginxConfigPath)) problems.Add("--nginx needs --nginx-config (the nginx.conf Drover writes)");
            if (string.IsNullOrWhiteSpace(NginxPrefix)) problems.Add("--nginx needs --nginx-prefix (the directory for Nginx's pid, logs and temp files)");
        }
        else if (NginxConfigPath is not null || NginxPrefix is not null || NginxStreamModule is not null)
            problems.Add("--nginx-config, --nginx-prefix and --nginx-stream-module need --nginx");
        if (NginxStreamModule is { } module && !File.Exists(module)) problems.Add($"--nginx-stream-module: no file '{module}'");

        if (Vip is null)
        {
            if (VipInterface is not null || VrrpPeers.Count > 0 || VrrpSource is not null)
                problems.Add("--vip-interface, --vrrp-peer and --vrrp-source need --vip");
            return problems;
        }
        // The track script asks HAProxy's monitor URI; Nginx has no such frontend rendered yet.
        if (Nginx) problems.Add("--vip works with HAProxy only: its keepalived check asks HAProxy, so it cannot be combined with --nginx");
        if (!ValidCidrHost(Vip))
            problems.Add($"--vip must be ADDR/PREFIX (e.g. 10.0.0.100/24), got '{Vip}'");
        if (string.IsNullOrWhiteSpace(VipInterface)) problems.Add("--vip needs --vip-interface (the interface the address is added to)");
        else if (VipInterface.Length > 15 || VipInterface.Any(c => char.IsWhiteSpace(c) || c is '/' or '"' or '{' or '}'))
            problems.Add($"--vip-interface: '{VipInterface}' is not an interface name");
        if (VrrpPeers.Count == 0) problems.Add("--vip needs at least one --vrrp-peer (the other lb hosts' addresses; VRRP here is unicast)");
        foreach (var p in VrrpPeers.Where(p => !IPAddress.TryParse(p, out _))) problems.Add($"--vrrp-peer: '{p}' is not an IP address");
        if (VrrpSource is { } src && !IPAddress.TryParse(src, out _)) problems.Add($"--vrrp-source: '{src}' is not an IP address");
        if (VrrpPriority is < 1 or > 254) problems.Add($"--vrrp-priority must be 1-254, got {VrrpPriority}");
        if (VrrpRouterId is < 1 or > 255) problems.Add($"--vrrp-router-id must be 1-255, got {VrrpRouterId}");
        return problems;
    }

    /// <summary>Settings for <see cref="NginxSupervisor"/>; the HTTP port and bind address come from the HAProxy options.</summary>
    public NginxSettings ToNginxSettings(string bindAddress, int httpPort) => new()
    {
        Prefix = NginxPrefix ?? throw new InvalidOperationException("--nginx-prefix is not set"),
        BindAddress = bindAddress, HttpPort = httpPort, StreamModulePath = NginxStreamModule,
    };

    /// <summary>Settings for <see cref="KeepalivedSupervisor"/>; <paramref name="checkPort"/> is the supervised HAProxy's monitor port.</summary>
    public KeepalivedSettings ToKeepalivedSettings(int checkPort, string runDirectory, string routerName) => new()
    {
        Vip = Vip ?? throw new InvalidOperationException("--vip is not set"),
        Interface = VipInterface!, Peers = VrrpPeers, SourceAddress = VrrpSource, Priority = VrrpPriority, VirtualRouterId = VrrpRouterId,
        Nopreempt = VrrpNopreempt, CheckPort = checkPort, TrackScriptPath = Path.Combine(runDirectory, "track-haproxy.sh"),
        RouterName = routerName,
    };

    // A host address with a prefix ("10.0.0.100/24"); IPNetwork.TryParse would refuse it, host bits being set.
    private static bool ValidCidrHost(string value)
    {
        var slash = value.IndexOf('/');
        if (slash < 0 || !IPAddress.TryParse(value[..slash], out var addr) || !int.TryParse(value[(slash + 1)..], out var prefix)) return false;
        var max = addr.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? 128 : 32;
        return prefix >= 0 && prefix <= max && value[(slash + 1)..].All(char.IsAsciiDigit);
    }
}
