using System.CommandLine;
using Drover.Cli.CommandLine;
using Drover.Lb;

namespace Drover.Cli.Commands.Roles;

/// <summary>
/// drover lb's edge options: Nginx instead of HAProxy, and a VIP that keepalived moves between lb hosts. Kept apart
/// from <see cref="LbRoleOptions"/> because drover up has none of them.
/// </summary>
public sealed class LbEdgeRoleOptions
{
    public Option<bool> Nginx { get; } = new("--nginx")
    {
        Description = "Run Nginx instead of HAProxy (as consul-template users do): the same label routes rendered as Nginx upstreams, " +
            "checked with 'nginx -t' and reloaded only when the text changes. No HAProxy is started; --vip needs HAProxy",
    };

    public Option<string?> NginxConfig { get; } = new("--nginx-config")
    {
        Description = "With --nginx: the nginx.conf the lb writes [default DATA-DIR/nginx/nginx.conf]",
        HelpName = "FILE",
    };

    public Option<string?> NginxPrefix { get; } = new("--nginx-prefix")
    {
        Description = "With --nginx: Nginx's prefix directory for its pid, error log and temp files [default DATA-DIR/nginx]",
        HelpName = "DIR",
    };

    public Option<string?> NginxStreamModule { get; } = new("--nginx-stream-module")
    {
        Description = "With --nginx: ngx_stream_module.so (Debian: libnginx-mod-stream), needed for apps' TCP service ports; without it they are left out",
        HelpName = "FILE",
    };

    public Option<string?> Vip { get; } = new("--vip")
    {
        Description = "Entry address that keepalived (unicast VRRP) holds on one lb host and moves to another when HAProxy stops answering there",
        HelpName = "ADDR/PREFIX",
    };

    public Option<string?> VipInterface { get; } = new("--vip-interface")
    {
        Description = "With --vip: the interface the address is added to and VRRP adverts leave from",
        HelpName = "IFACE",
    };

    public Option<string[]> VrrpPeers { get; } = new("--vrrp-peer")
    {
        Description = "With --vip: another lb host's address (repeat for each); VRRP adverts go to them by unicast",
        HelpName = "ADDR",
        AllowMultipleArgumentsPerToken = false,
    };

    public Option<string?> VrrpSource { get; } = new("--vrrp-source")
    {
        Description = "With --vip: this host's address for VRRP adverts [default: the interface's primary address]",
        HelpName = "ADDR",
    };

    public Option<int> VrrpPriority { get; } = new("--vrrp-priority")
    {
        Description = "With --vip: 1-254; of the hosts whose HAProxy answers, the highest priority holds the address",
        HelpName = "N",
        DefaultValueFactory = _ => 100,
    };

    public Option<int> VrrpRouterId { get; } = new("--vrrp-router-id")
    {
        Description = "With --vip: VRRP virtual router id, 1-255, the same on every lb host of the group and unique on the network",
        HelpName = "N",
        DefaultValueFactory = _ => 51,
    };

    public Option<bool> VrrpNopreempt { get; } = new("--vrrp-nopreempt")
    {
        Description = "With --vip: a recovered host of higher priority does not take the address back (one move per failure instead of two); keepalived's default is to preempt",
    };

    public void AddTo(Command command)
    {
        foreach (var o in new Option[] { Nginx, NginxConfig, NginxPrefix, NginxStreamModule, Vip, VipInterface, VrrpPeers, VrrpSource, VrrpPriority, VrrpRouterId, VrrpNopreempt })
            command.Options.Add(o);
    }

    /// <summary>The validated options; every problem is a usage error naming its option.</summary>
    public LbEdgeOptions Read(ParseResult result, string dataDir)
    {
        var nginx = result.GetValue(Nginx);
        var config = result.GetValue(NginxConfig);
        var prefix = result.GetValue(NginxPrefix);
        var edge = new LbEdgeOptions
        {
            Nginx = nginx,
            NginxConfigPath = nginx ? Path.GetFullPath(config ?? Path.Combine(dataDir, "nginx", "nginx.conf")) : config,
            NginxPrefix = nginx ? Path.GetFullPath(prefix ?? Path.Combine(dataDir, "nginx")) : prefix,
            NginxStreamModule = result.GetValue(NginxStreamModule),
            Vip = result.GetValue(Vip),
            VipInterface = result.GetValue(VipInterface),
            VrrpPeers = result.GetValue(VrrpPeers) ?? [],
            VrrpSource = result.GetValue(VrrpSource),
            VrrpPriority = result.GetValue(VrrpPriority),
            VrrpRouterId = result.GetValue(VrrpRouterId),
            VrrpNopreempt = result.GetValue(VrrpNopreempt),
        };
        var problems = edge.Validate();
        if (problems.Count > 0) throw new UsageException(string.Join("; ", problems));
        return edge;
    }
}
