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
    public int ServicePortMin { get; init; } = 10000;
    public int ServicePortMax { get; init; } = 20000;
    /// <summary>Interval of the periodic reconciliation pass (state changes trigger passes immediately).</summary>
    public TimeSpan ReconcileInterval { get; init; } = TimeSpan.FromSeconds(1);
    /// <summary>How often load balancers are asked to heartbeat (PUT /v1/drover/lb/instances/{id}); 3 missed = gone.</summary>
    public TimeSpan LbHeartbeatInterval { get; init; } = TimeSpan.FromSeconds(2);

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
        if (AgentTimeout <= TimeSpan.Zero) throw new ArgumentException("agent timeout must be positive");
        if (ServicePortMin < 1 || ServicePortMax > 65535 || ServicePortMin > ServicePortMax)
            throw new ArgumentException("service port range must be within 1-65535 with min ≤ max");
    }
}
