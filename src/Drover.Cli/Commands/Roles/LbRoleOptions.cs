using System.CommandLine;
using Drover.Cli.CommandLine;
using Drover.Core.Routing;
using Drover.Lb;

namespace Drover.Cli.Commands.Roles;

/// <summary>The options of the load balancer role (drover lb, and the lb of drover up).</summary>
public sealed class LbRoleOptions
{
    /// <param name="prefix">"" for drover lb; "lb-" for drover up, where --bind-address and --data-dir would be ambiguous.</param>
    public LbRoleOptions(string prefix = "")
    {
        Prefix = prefix;
        HttpPort = new($"--{prefix}http-port")
        {
            Description = "Port of the shared HTTP frontend for HAPROXY_{n}_VHOST and HAPROXY_{n}_PATH routes (marathon-lb's 80)",
            HelpName = "PORT",
            DefaultValueFactory = _ => prefix == "" ? 80 : 8000,
        };
        BindAddress = new($"--{prefix}bind-address")
        {
            Description = "Address HAProxy's frontends (the HTTP port and the apps' service ports) bind to; '*' is all",
            HelpName = "ADDR",
            DefaultValueFactory = _ => prefix == "" ? "*" : "127.0.0.1",
        };
        StatusListen = new($"--{prefix}status-listen")
        {
            Description = "Address of the lb's own status endpoint (GET /lb/status, read by 'drover lb status'); port 0 picks a free one",
            HelpName = "HOST:PORT",
            DefaultValueFactory = _ => prefix == "" ? LbOptions.DefaultStatusListen : "127.0.0.1:0",
        };
    }

    public string Prefix { get; }
    public Option<int> HttpPort { get; }
    public Option<string> BindAddress { get; }
    public Option<string> StatusListen { get; }

    public Option<string> Group { get; } = new("--group")
    {
        Description = "The HAPROXY_GROUP this lb serves (apps without the label are in 'external', as with marathon-lb)",
        HelpName = "GROUP",
        DefaultValueFactory = _ => LbLabels.DefaultGroup,
    };

    public Option<string> Haproxy { get; } = new("--haproxy")
    {
        Description = "The haproxy executable (2.6 or later) the lb starts",
        HelpName = "PATH",
        DefaultValueFactory = _ => "haproxy",
    };

    public Option<string?> HaproxySocket { get; } = new("--haproxy-socket")
    {
        Description = "Attach to an HAProxy started elsewhere with '-W -S SOCKET': its master CLI socket (with --haproxy-config); the lb then neither starts nor stops HAProxy",
        HelpName = "SOCKET",
    };

    public Option<string?> HaproxyConfig { get; } = new("--haproxy-config")
    {
        Description = "With --haproxy-socket: the config file that HAProxy was started with ('-f'); the lb overwrites it and reloads",
        HelpName = "FILE",
    };

    public Option<string?> Id { get; } = new("--id")
    {
        Description = "This lb's id with the server (drain before kill waits for every live lb) [default: HOSTNAME-GROUP-HTTPPORT]",
        HelpName = "ID",
    };

    /// <summary>drover lb only: --nginx, --vip and the VRRP options.</summary>
    public LbEdgeRoleOptions Edge { get; } = new();

    /// <summary>drover lb has all of them; drover up only the ports and addresses.</summary>
    public void AddTo(Command command, bool full)
    {
        command.Options.Add(HttpPort);
        command.Options.Add(BindAddress);
        command.Options.Add(StatusListen);
        if (!full) return;
        command.Options.Add(Group);
        command.Options.Add(Haproxy);
        command.Options.Add(HaproxySocket);
        command.Options.Add(HaproxyConfig);
        command.Options.Add(Id);
        Edge.AddTo(command);
    }

    public LbOptions Read(ParseResult result, string dataDir, bool full)
    {
        var socket = full ? result.GetValue(HaproxySocket) : null;
        var config = full ? result.GetValue(HaproxyConfig) : null;
        if ((socket is null) != (config is null))
            throw new UsageException("--haproxy-socket and --haproxy-config go together (attach to an HAProxy started with '-W -S SOCKET -f FILE')");
        var edge = full ? Edge.Read(result, dataDir) : new LbEdgeOptions();
        if (edge.Nginx && socket is not null)
            throw new UsageException("--nginx runs Nginx instead of HAProxy, so it cannot be combined with --haproxy-socket and --haproxy-config");
        var port = result.GetValue(HttpPort);
        if (port is < 0 or > 65535) throw new UsageException($"--{Prefix}http-port {port} is not a port (0-65535; 0 = no HTTP frontend)");
        return new LbOptions
        {
            DataDir = dataDir,
            HaproxyPath = full ? result.GetValue(Haproxy)! : "haproxy",
            Group = full ? result.GetValue(Group)! : LbLabels.DefaultGroup,
            BindAddress = result.GetValue(BindAddress)!,
            HttpPort = port,
            StatusListen = result.GetValue(StatusListen)!,
            AttachMasterSocket = socket is null ? null : Path.GetFullPath(socket),
            AttachConfig = config is null ? null : Path.GetFullPath(config),
            Id = full ? result.GetValue(Id) : null,
            Edge = edge,
        };
    }

    /// <summary>"haproxy" found on PATH (or a path that exists): drover up starts an lb only then.</summary>
    public static bool HaproxyAvailable(string haproxy = "haproxy") =>
        haproxy.Contains('/') ? File.Exists(haproxy)
            : (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries).Any(d => File.Exists(Path.Combine(d, haproxy)));
}
