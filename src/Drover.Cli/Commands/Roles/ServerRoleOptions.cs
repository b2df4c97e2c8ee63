using System.CommandLine;
using Drover.Cli.CommandLine;
using Drover.Server;

namespace Drover.Cli.Commands.Roles;

/// <summary>The options of the server role (drover server, and the server half of drover up).</summary>
public sealed class ServerRoleOptions
{
    public Option<string> Listen { get; } = new("--listen")
    {
        Description = "Address of the HTTP API (Marathon /v2, Consul /v1, agent protocol); 0.0.0.0:8080 for other hosts",
        HelpName = "HOST:PORT",
        DefaultValueFactory = _ => "127.0.0.1:8080",
    };

    public Option<string?> DataDir { get; } = new("--data-dir")
    {
        Description = "Data directory: state (SQLite) and, for up, agent sandboxes [env DROVER_DATA_DIR; default ~/.drover for up, ~/.drover/server for server]",
        HelpName = "DIR",
    };

    public Option<bool> InMemory { get; } = new("--in-memory") { Description = "Keep the state in memory only (lost on exit; for experiments)" };

    public Option<string?> Token { get; } = new("--token")
    {
        Description = "Join token agents must present (not an API token); without it the server generates one on first start, keeps it in the data directory and prints it with the agent command line [env DROVER_TOKEN]",
        HelpName = "TOKEN",
    };

    public Option<string?> ApiToken { get; } = new("--api-token")
    {
        Description = "API token the REST APIs (Marathon /v2, Consul /v1, Drover) require for writes: Bearer, basic auth password, X-Consul-Token or ?token= (clients: drover --token) [env DROVER_API_TOKEN]",
        HelpName = "TOKEN",
    };

    public Option<bool> ApiTokenReads { get; } = new("--api-token-reads")
    {
        Description = "Require the API token for reads too (/ping, the CA and the agent protocol stay open)",
    };

    public Option<string?> TlsListen { get; } = new("--tls-listen")
    {
        Description = "Address of an HTTPS listener with the same API; agents must join over it (with a CA the server generates unless --tls-cert is given); plain clients keep --listen",
        HelpName = "HOST:PORT",
    };

    public Option<string?> TlsCert { get; } = new("--tls-cert")
    {
        Description = "PEM certificate (with intermediates) of the HTTPS listener, instead of generating a CA",
        HelpName = "FILE",
    };

    public Option<string?> TlsKey { get; } = new("--tls-key") { Description = "PEM private key of --tls-cert", HelpName = "FILE" };

    public Option<string?> TlsCa { get; } = new("--tls-ca")
    {
        Description = "PEM CA of --tls-cert: published at /v1/drover/ca and pinned by the join token",
        HelpName = "FILE",
    };

    /// <summary>drover server only: drover up takes the agent's --advertise for both.</summary>
    public Option<string?> Advertise { get; } = new("--advertise")
    {
        Description = "Address agents, clients and the other servers reach this server by: named in its TLS certificate, the printed agent command line and, with --etcd, /v2/leader (a URL http://HOST:PORT also sets the port)",
        HelpName = "HOST|URL",
    };

    public Option<string?> Etcd { get; } = new("--etcd")
    {
        Description = "Keep the state in this etcd cluster instead of SQLite (comma-separated member URLs); the servers sharing it elect one leader, the others forward writes to it [env DROVER_ETCD]",
        HelpName = "URL,URL,…",
    };

    public Option<string> EtcdPrefix { get; } = new("--etcd-prefix")
    {
        Description = "Key prefix of this cluster's state in etcd",
        HelpName = "PREFIX",
        DefaultValueFactory = _ => "/drover/",
    };

    public Option<FollowerWrites> FollowerWritesMode { get; } = new("--follower-writes")
    {
        Description = "What a server that is not the leader does with writes: forward them to the leader, or redirect (307) the client there",
        HelpName = "forward|redirect",
        DefaultValueFactory = _ => FollowerWrites.Forward,
    };

    public Option<TimeSpan?> LeaderLeaseTtl { get; } = new("--leader-lease-ttl")
    {
        Description = "With --etcd: TTL of the leader's etcd lease, whole seconds; how long the others wait for a leader that died before electing another (etcd raises it to its own minimum, 1.5 × its election timeout) [default 3s]",
        HelpName = "DURATION",
        CustomParser = r => ValueParsers.Duration(r),
    };

    public Option<TimeSpan?> AgentTimeout { get; } = new("--agent-timeout")
    {
        Description = "Mark an agent unreachable (and replace its tasks per unreachableStrategy) after this long without a heartbeat [default 10s]",
        HelpName = "DURATION",
        CustomParser = r => ValueParsers.Duration(r),
    };

    public Option<double?> MaxHeartbeatsPerSecond { get; } = new("--max-heartbeats-per-second")
    {
        Description = "Agents heartbeat at most this often in all, as Nomad's max_heartbeats_per_second: beyond this many agents each heartbeats every agents/N seconds, and --agent-timeout grows by two of the added intervals [default 50]",
        HelpName = "N",
    };

    public Option<int?> MaxLaunchesPerPass { get; } = new("--max-launches-per-pass")
    {
        Description = "Launches one reconcile pass writes at most; the rest go to the next pass (as Marathon launches what each offer round allows) [default 10000]",
        HelpName = "N",
    };

    public Option<string> DnsListen { get; } = new("--dns-listen")
    {
        Description = "Address of the DNS server (UDP and TCP), or 'off'",
        HelpName = "HOST:PORT|off",
        DefaultValueFactory = _ => "127.0.0.1:8600",
    };

    public Option<string> Domain { get; } = new("--domain")
    {
        Description = "DNS domain Drover answers for (consul or mesos for drop-in use)",
        HelpName = "DOMAIN",
        DefaultValueFactory = _ => "drover",
    };

    public Option<string[]> Recursors { get; } = new("--recursor")
    {
        Description = "Upstream DNS server for other names (repeatable) [default: those of /etc/resolv.conf]",
        HelpName = "HOST[:PORT]",
    };

    public Option<bool> DnsOnlyPassing { get; } = new("--dns-only-passing")
    {
        Description = "Answer only passing instances in DNS (by default warning ones too, as Consul)",
    };

    public void AddTo(Command command, bool includeDataDir = true, bool includeAdvertise = true)
    {
        command.Options.Add(Listen);
        if (includeDataDir) command.Options.Add(DataDir);
        command.Options.Add(InMemory);
        command.Options.Add(Token);
        command.Options.Add(ApiToken);
        command.Options.Add(ApiTokenReads);
        command.Options.Add(TlsListen);
        command.Options.Add(TlsCert);
        command.Options.Add(TlsKey);
        command.Options.Add(TlsCa);
        if (includeAdvertise) command.Options.Add(Advertise);
        command.Options.Add(Etcd);
        command.Options.Add(EtcdPrefix);
        command.Options.Add(FollowerWritesMode);
        command.Options.Add(LeaderLeaseTtl);
        command.Options.Add(AgentTimeout);
        command.Options.Add(MaxHeartbeatsPerSecond);
        command.Options.Add(MaxLaunchesPerPass);
        command.Options.Add(DnsListen);
        command.Options.Add(Domain);
        command.Options.Add(Recursors);
        command.Options.Add(DnsOnlyPassing);
    }

    /// <param name="advertise">For drover up: the agent's --advertise, which names the one host of both roles.</param>
    public ServerOptions Read(ParseResult result, string dataDir, string? advertise = null)
    {
        var dns = result.GetValue(DnsListen)!;
        var (advertiseHost, advertisePort) = SplitAdvertise(advertise ?? result.GetValue(Advertise));
        var options = new ServerOptions
        {
            Listen = result.GetValue(Listen)!,
            DnsListen = dns == "off" ? null : dns,
            DnsDomain = result.GetValue(Domain)!,
            Recursors = result.GetValue(Recursors) is { Length: > 0 } r ? r : null,
            DnsOnlyPassing = result.GetValue(DnsOnlyPassing),
            DataDir = result.GetValue(InMemory) ? null : Path.GetFullPath(dataDir),
            AgentToken = NonEmpty(result.GetValue(Token) ?? Environment.GetEnvironmentVariable("DROVER_TOKEN")),
            GenerateJoinToken = true,
            ApiToken = result.GetValue(ApiToken) ?? NonEmpty(Environment.GetEnvironmentVariable("DROVER_API_TOKEN")),
            ApiTokenForReads = result.GetValue(ApiTokenReads),
            TlsListen = result.GetValue(TlsListen),
            TlsCertFile = FullPath(result.GetValue(TlsCert)),
            TlsKeyFile = FullPath(result.GetValue(TlsKey)),
            TlsCaFile = FullPath(result.GetValue(TlsCa)),
            Advertise = advertiseHost,
            AdvertisePort = advertisePort,
            Etcd = NonEmpty(result.GetValue(Etcd) ?? Environment.GetEnvironmentVariable("DROVER_ETCD")),
            EtcdPrefix = result.GetValue(EtcdPrefix)!,
            FollowerWrites = result.GetValue(FollowerWritesMode),
            LeaderLeaseTtl = result.GetValue(LeaderLeaseTtl) ?? ServerOptions.DefaultLeaderLeaseTtl,
            AgentTimeout = result.GetValue(AgentTimeout) ?? TimeSpan.FromSeconds(10),
            MaxHeartbeatsPerSecond = result.GetValue(MaxHeartbeatsPerSecond) ?? Scheduling.Liveness.HeartbeatRate.DefaultMaxPerSecond,
            MaxLaunchesPerPass = result.GetValue(MaxLaunchesPerPass) ?? ServerOptions.DefaultMaxLaunchesPerPass,
        };
        try { options.Validate(); }
        catch (ArgumentException ex) { throw new UsageException(ex.Message); }
        return options;
    }

    /// <summary>--advertise HOST, or http://HOST:PORT when the API is reached through another port (NAT, a proxy).</summary>
    private static (string? Host, int? Port) SplitAdvertise(string? advertise)
    {
        if (advertise is null || !advertise.Contains("://", StringComparison.Ordinal)) return (advertise, null);
        if (!Uri.TryCreate(advertise, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
            throw new UsageException($"--advertise '{advertise}' is neither a host nor an http(s) URL");
        return (url.Host, url.IsDefaultPort && !advertise.EndsWith(":" + url.Port, StringComparison.Ordinal) ? null : url.Port);
    }

    private static string? NonEmpty(string? s) => string.IsNullOrEmpty(s) ? null : s;

    private static string? FullPath(string? path) => path is null ? null : Path.GetFullPath(path);

    public static string DefaultDataDir() =>
        Environment.GetEnvironmentVariable("DROVER_DATA_DIR")
        ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".drover");
}
