using System.Net;
using Drover.Core.Net;

namespace Drover.Server;

/// <summary>Settings of the server role, validated at start.</summary>
public sealed record ServerOptions
{
    /// <summary>host:port for the HTTP API (Marathon /v2, internal agent protocol). Port 0 picks a free port.</summary>
    public string Listen { get; init; } = "127.0.0.1:8080";
    /// <summary>Directory for the embedded state (SQLite). Null keeps state in memory (tests only).</summary>
    public string? DataDir { get; init; }
    /// <summary>
    /// Join token agents must present (Authorization: Bearer): a bare secret, or a whole drover1 token (its secret is
    /// what counts). Null: the stored one when <see cref="GenerateJoinToken"/>, else no check.
    /// </summary>
    public string? AgentToken { get; init; }
    /// <summary>Without <see cref="AgentToken"/>: keep a join secret in the store, generated on first start (drover server and up do).</summary>
    public bool GenerateJoinToken { get; init; }
    /// <summary>The address (IP or name) agents and clients reach this server by: named in its TLS certificate and in the printed join command.</summary>
    public string? Advertise { get; init; }
    /// <summary>host:port of the HTTPS listener (the same API over TLS; agents must use it then). Null: no TLS.</summary>
    public string? TlsListen { get; init; }
    /// <summary>PEM certificate (optionally followed by its intermediates) and key for the HTTPS listener; null: generate a CA and a certificate.</summary>
    public string? TlsCertFile { get; init; }
    public string? TlsKeyFile { get; init; }
    /// <summary>PEM CA of <see cref="TlsCertFile"/>: published at /v1/drover/ca and pinned in the join token.</summary>
    public string? TlsCaFile { get; init; }
    /// <summary>Token the REST APIs require for writes (and reads with <see cref="ApiTokenForReads"/>); null: open.</summary>
    public string? ApiToken { get; init; }
    public bool ApiTokenForReads { get; init; }
    /// <summary>An agent that has not been heard from for this long is marked unreachable and its tasks are replaced.</summary>
    public TimeSpan AgentTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Agents are asked to heartbeat at most this often in all (Nomad's max_heartbeats_per_second): see <see cref="Scheduling.Liveness.HeartbeatRate"/>.</summary>
    public double MaxHeartbeatsPerSecond { get; init; } = Scheduling.Liveness.HeartbeatRate.DefaultMaxPerSecond;

    /// <summary>The heartbeat interval of a small cluster (the agent's own default).</summary>
    public static readonly TimeSpan BaseHeartbeatInterval = TimeSpan.FromSeconds(1);

    /// <summary>The interval agents are asked to heartbeat at, with <paramref name="agents"/> registered.</summary>
    public TimeSpan HeartbeatInterval(int agents) => Scheduling.Liveness.HeartbeatRate.Interval(agents, BaseHeartbeatInterval, MaxHeartbeatsPerSecond);

    /// <summary><see cref="AgentTimeout"/>, grown with the heartbeat interval when many agents spread their heartbeats out.</summary>
    public TimeSpan AgentGrace(int agents) => Scheduling.Liveness.HeartbeatRate.Grace(agents, BaseHeartbeatInterval, AgentTimeout, MaxHeartbeatsPerSecond);
    public int ServicePortMin { get; init; } = 10000;
    public int ServicePortMax { get; init; } = 20000;
    /// <summary>Interval of the periodic reconciliation pass (state changes trigger passes immediately).</summary>
    public TimeSpan ReconcileInterval { get; init; } = TimeSpan.FromSeconds(1);
    /// <summary>
    /// How often the leader stores the heartbeat times that moved (one write for all agents). A new leader sees each
    /// agent at most this much (plus the failover) older than it was, in the agent's favour never against it: 2 s is a
    /// fifth of the default 10 s grace, and half a write a second however many agents there are.
    /// </summary>
    public TimeSpan LivenessFlushInterval { get; init; } = TimeSpan.FromSeconds(2);
    /// <summary>
    /// Launches one reconcile pass writes at most; the rest are planned again by the next pass, which its own write
    /// triggers. Bounds how long a pass holds the writer (API writes wait behind it) and the size of its batch, as
    /// Marathon launches what each offer round allows rather than a whole deployment at once. bench/c1m: one pass of
    /// 40,000 launches held a POST /v2/groups past its 30 s client timeout.
    /// </summary>
    public int MaxLaunchesPerPass { get; init; } = DefaultMaxLaunchesPerPass;
    public const int DefaultMaxLaunchesPerPass = 10_000;
    /// <summary>How often load balancers are asked to heartbeat (PUT /v1/drover/lb/instances/{id}); 3 missed = gone.</summary>
    public TimeSpan LbHeartbeatInterval { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// etcd endpoints (http://a:2379,http://b:2379,…): the state lives in this etcd cluster instead of SQLite, and the
    /// servers sharing it elect one leader. Null: the embedded SQLite store (one server, always the leader).
    /// </summary>
    public string? Etcd { get; init; }
    /// <summary>Key prefix of this cluster's state in etcd (several clusters can share one etcd).</summary>
    public string EtcdPrefix { get; init; } = "/drover/";
    /// <summary>
    /// TTL of the leader's etcd lease: how long a dead leader keeps the others waiting (etcd's concurrency default is
    /// 60 s). 3 s: a SIGKILLed leader is replaced in about 3 s (bench/ha: median 3.1 s, max 3.8 s to a write accepted;
    /// 4.9 s / 5.3 s with 5 s), inside issue 10's 5 s, while the lease, renewed every TTL/3, survives two lost renewals.
    /// </summary>
    public TimeSpan LeaderLeaseTtl { get; init; } = DefaultLeaderLeaseTtl;
    public static readonly TimeSpan DefaultLeaderLeaseTtl = TimeSpan.FromSeconds(3);
    /// <summary>What a follower does with a write: forward it to the leader (default, as Consul forwards RPCs) or answer 307.</summary>
    public FollowerWrites FollowerWrites { get; init; } = FollowerWrites.Forward;
    /// <summary>The port peers reach this server's HTTP API by, when it differs from the bound one (--advertise http://host:port).</summary>
    public int? AdvertisePort { get; init; }
    /// <summary>How long a store write may take before it is refused (a store without quorum must not hang requests).</summary>
    public TimeSpan StoreWriteTimeout { get; init; } = TimeSpan.FromSeconds(10);

    public bool UsesEtcd => Etcd is not null;

    /// <summary>host:port of the DNS server (UDP and TCP); null = no DNS server.</summary>
    public string? DnsListen { get; init; }
    /// <summary>The DNS domain Drover is authoritative for (default drover; consul or mesos for drop-in use).</summary>
    public string DnsDomain { get; init; } = "drover";
    /// <summary>Upstream resolvers (host[:port]) for names outside the domain; null = those of /etc/resolv.conf.</summary>
    public IReadOnlyList<string>? Recursors { get; init; }
    /// <summary>Answer only passing instances (Consul's dns_config.only_passing); by default warning ones are answered too.</summary>
    public bool DnsOnlyPassing { get; init; }

    public IPEndPoint ListenEndPoint() => ParseEndPoint(Listen);

    /// <summary>host:port (see <see cref="HostPort"/>), also written as a URL (http://127.0.0.1:8080/).</summary>
    public static IPEndPoint ParseEndPoint(string s)
    {
        if (s.StartsWith("http://", StringComparison.OrdinalIgnoreCase)) s = s[7..];
        else if (s.StartsWith("https://", StringComparison.OrdinalIgnoreCase)) s = s[8..];
        return HostPort.TryParseEndPoint(s.TrimEnd('/'), out var endPoint, out var error) ? endPoint : throw new ArgumentException(error);
    }

    public void Validate()
    {
        ListenEndPoint();
        // as DnsHost reads it: a bare address means port 8600
        if (DnsListen is not null && !HostPort.TryParseEndPoint(DnsListen, out _, out var dnsError, Dns.DnsOptions.DefaultPort))
            throw new ArgumentException(dnsError);
        if (TlsListen is not null) ParseEndPoint(TlsListen);
        if ((TlsCertFile is null) != (TlsKeyFile is null)) throw new ArgumentException("--tls-cert and --tls-key go together");
        if (TlsCertFile is not null && TlsListen is null) throw new ArgumentException("--tls-cert needs --tls-listen (the address of the HTTPS listener)");
        if (TlsCaFile is not null && TlsCertFile is null) throw new ArgumentException("--tls-ca needs --tls-cert and --tls-key (without them the server generates its own CA)");
        if (ApiToken is { Length: 0 }) throw new ArgumentException("--api-token must not be empty");
        if (ApiTokenForReads && ApiToken is null) throw new ArgumentException("--api-token-reads needs --api-token");
        if (Advertise is not null && Uri.CheckHostName(Advertise) == UriHostNameType.Unknown) throw new ArgumentException($"--advertise '{Advertise}' is not a host name or IP address");
        if (Etcd is not null)
        {
            if (Etcd.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) is not { Length: > 0 } endpoints)
                throw new ArgumentException("--etcd needs at least one endpoint URL, e.g. http://127.0.0.1:2379");
            foreach (var e in endpoints)
                if (!Uri.TryCreate(e, UriKind.Absolute, out var u) || u.Scheme is not ("http" or "https"))
                    throw new ArgumentException($"--etcd: '{e}' is not an http(s) URL of an etcd member (e.g. http://127.0.0.1:2379)");
            if (!EtcdPrefix.StartsWith('/') || !EtcdPrefix.EndsWith('/')) throw new ArgumentException($"--etcd-prefix '{EtcdPrefix}' must start and end with '/' (e.g. /drover/)");
        }
        if (LeaderLeaseTtl < TimeSpan.FromSeconds(1) || LeaderLeaseTtl.Ticks % TimeSpan.TicksPerSecond != 0)
            throw new ArgumentException($"--leader-lease-ttl {LeaderLeaseTtl.TotalSeconds:0.###}s: etcd leases are whole seconds, at least 1 s");
        if (AgentTimeout <= TimeSpan.Zero) throw new ArgumentException("agent timeout must be positive");
        if (!(MaxHeartbeatsPerSecond > 0) || double.IsInfinity(MaxHeartbeatsPerSecond))
            throw new ArgumentException($"max heartbeats per second must be a positive number, not {MaxHeartbeatsPerSecond}");
        if (LivenessFlushInterval <= TimeSpan.Zero) throw new ArgumentException("liveness flush interval must be positive");
        if (MaxLaunchesPerPass < 1) throw new ArgumentException($"launches per reconcile pass must be at least 1, not {MaxLaunchesPerPass}");
        if (ServicePortMin < 1 || ServicePortMax > 65535 || ServicePortMin > ServicePortMax)
            throw new ArgumentException("service port range must be within 1-65535 with min ≤ max");
    }
}

/// <summary>What a follower does with a write request (--follower-writes).</summary>
public enum FollowerWrites
{
    /// <summary>Proxy it to the leader and stream the answer back.</summary>
    Forward,
    /// <summary>Answer 307 Temporary Redirect with the leader's URL in Location.</summary>
    Redirect,
}
