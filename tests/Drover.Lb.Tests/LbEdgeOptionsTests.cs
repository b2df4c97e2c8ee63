namespace Drover.Lb.Tests;

public class LbEdgeOptionsTests
{
    private static readonly LbEdgeOptions Nginx = new() { Nginx = true, NginxConfigPath = "/etc/drover/nginx.conf", NginxPrefix = "/run/drover/nginx" };

    private static readonly LbEdgeOptions Vip = new()
    {
        Vip = "10.0.0.100/24", VipInterface = "eth0", VrrpPeers = ["10.0.0.2"], VrrpSource = "10.0.0.1", VrrpPriority = 150, VrrpRouterId = 7,
    };

    [Fact]
    public void NoEdgeOptionsAndAFullSetAreValid()
    {
        Assert.Empty(new LbEdgeOptions().Validate());
        Assert.Empty(Nginx.Validate());
        Assert.Empty(Vip.Validate());
    }

    [Theory]
    [InlineData("nginx-config", "--nginx needs --nginx-config (the nginx.conf Drover writes)")]
    [InlineData("nginx-prefix", "--nginx needs --nginx-prefix (the directory for Nginx's pid, logs and temp files)")]
    [InlineData("vip-bad", "--vip must be ADDR/PREFIX (e.g. 10.0.0.100/24), got '10.0.0.100'")]
    [InlineData("vip-prefix", "--vip must be ADDR/PREFIX (e.g. 10.0.0.100/24), got '10.0.0.100/33'")]
    [InlineData("interface", "--vip needs --vip-interface (the interface the address is added to)")]
    [InlineData("interface-bad", "--vip-interface: 'eth 0' is not an interface name")]
    [InlineData("no-peer", "--vip needs at least one --vrrp-peer (the other lb hosts' addresses; VRRP here is unicast)")]
    [InlineData("peer-bad", "--vrrp-peer: 'lb2' is not an IP address")]
    [InlineData("source-bad", "--vrrp-source: 'me' is not an IP address")]
    [InlineData("priority", "--vrrp-priority must be 1-254, got 255")]
    [InlineData("router-id", "--vrrp-router-id must be 1-255, got 0")]
    [InlineData("nginx-off", "--nginx-config, --nginx-prefix and --nginx-stream-module need --nginx")]
    [InlineData("vip-off", "--vip-interface, --vrrp-peer and --vrrp-source need --vip")]
    [InlineData("module", "--nginx-stream-module: no file '/nonexistent/ngx_stream_module.so'")]
    [InlineData("vip-and-nginx", "--vip works with HAProxy only: its keepalived check asks HAProxy, so it cannot be combined with --nginx")]
    public void EachBadValueIsNamed(string change, string message)
    {
        var o = change switch
        {
            "nginx-config" => Nginx with { NginxConfigPath = null },
            "nginx-prefix" => Nginx with { NginxPrefix = " " },
            "vip-bad" => Vip with { Vip = "10.0.0.100" },
            "vip-prefix" => Vip with { Vip = "10.0.0.100/33" },
            "interface" => Vip with { VipInterface = null },
            "interface-bad" => Vip with { VipInterface = "eth 0" },
            "no-peer" => Vip with { VrrpPeers = [] },
            "peer-bad" => Vip with { VrrpPeers = ["10.0.0.2", "lb2"] },
            "source-bad" => Vip with { VrrpSource = "me" },
            "priority" => Vip with { VrrpPriority = 255 },
            "router-id" => Vip with { VrrpRouterId = 0 },
            "nginx-off" => Nginx with { Nginx = false },
            "vip-off" => Vip with { Vip = null },
            "module" => Nginx with { NginxStreamModule = "/nonexistent/ngx_stream_module.so" },
            "vip-and-nginx" => Vip with { Nginx = true, NginxConfigPath = "/etc/drover/nginx.conf", NginxPrefix = "/run/drover/nginx" },
            _ => throw new ArgumentOutOfRangeException(nameof(change)),
        };
        Assert.Equal([message], o.Validate());
    }

    [Fact]
    public void MapsToTheSupervisorsSettings()
    {
        var k = Vip.ToKeepalivedSettings(18999, "/run/drover/vrrp", "lb1");
        Assert.Equal(("10.0.0.100/24", "eth0", "10.0.0.1", 150, 7, "/run/drover/vrrp/track-haproxy.sh"),
            (k.Vip, k.Interface, k.SourceAddress, k.Priority, k.VirtualRouterId, k.TrackScriptPath));
        Assert.Equal(["10.0.0.2"], k.Peers);
        Assert.Equal((18999, "/drover/health"), (k.CheckPort, k.CheckPath));
        var n = Nginx.ToNginxSettings("127.0.0.1", 8080);
        Assert.Equal(("/run/drover/nginx", "127.0.0.1", 8080), (n.Prefix, n.BindAddress, n.HttpPort));
    }
}
