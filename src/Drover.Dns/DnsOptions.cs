using System.Globalization;
using System.Net;
using Drover.Core.Net;
using Drover.Dns.Wire;

namespace Drover.Dns;

/// <summary>
/// Settings of Drover's DNS server. Defaults follow Consul (port 8600, TTL 0, warning instances
/// answered) with Drover's own domain. Call <see cref="Validate"/> (or <see cref="ThrowIfInvalid"/>)
/// at start; the server does.
/// </summary>
public sealed record DnsOptions
{
    public const int DefaultPort = 8600;

    /// <summary>The zone Drover is authoritative for: "drover", or "consul" / "mesos" for drop-in use.</summary>
    public string Domain { get; init; } = "drover";

    /// <summary>The datacenter label accepted in Consul-style names (<c>web.service.dc1.drover</c>).</summary>
    public string Datacenter { get; init; } = "dc1";

    /// <summary>UDP address; port 0 picks a free port (see <see cref="DnsServer.UdpEndpoint"/>).</summary>
    public IPEndPoint UdpListen { get; init; } = new(IPAddress.Loopback, DefaultPort);

    /// <summary>TCP address; null means the address and port UDP ended up bound to.</summary>
    public IPEndPoint? TcpListen { get; init; }

    /// <summary>Upstream resolvers for names outside <see cref="Domain"/>; null reads <see cref="ResolvConfPath"/>.</summary>
    public IReadOnlyList<IPEndPoint>? Recursors { get; init; }

    public string ResolvConfPath { get; init; } = "/etc/resolv.conf";

    /// <summary>Forward out-of-domain names (answer REFUSED when off or when there is no recursor).</summary>
    public bool EnableForwarding { get; init; } = true;

    /// <summary>TTL (seconds) of service, failover and marathon records. 0 like Consul: no caching.</summary>
    public uint ServiceTtl { get; init; }

    /// <summary>TTL (seconds) of node, addr, leader and ns records (also in ADDITIONAL sections).</summary>
    public uint NodeTtl { get; init; }

    /// <summary>SOA minimum and the TTL of the SOA sent with negative answers (RFC 2308).</summary>
    public uint NegativeTtl { get; init; }

    /// <summary>Answer only passing instances (Consul's dns_config.only_passing); warning ones are answered otherwise.</summary>
    public bool OnlyPassing { get; init; }

    /// <summary>
    /// Most answers in one UDP response (0 = no limit besides the packet size). Consul's old
    /// udp_answer_limit was 3. With <see cref="TruncateOnAnswerLimit"/> the TC bit is set when the
    /// limit cut answers, so clients that need all of them retry over TCP.
    /// </summary>
    public int UdpAnswerLimit { get; init; }

    public bool TruncateOnAnswerLimit { get; init; } = true;

    /// <summary>Largest UDP response we send to EDNS0 clients (and the size we advertise); 1232 avoids fragmentation.</summary>
    public int MaxUdpPayload { get; init; } = 1232;

    /// <summary>Threads receiving on the UDP socket; 0 = one per processor.</summary>
    public int UdpReceivers { get; init; }

    public int MaxTcpConnections { get; init; } = 256;

    /// <summary>A TCP connection idle this long (or a query arriving slower than this) is closed (RFC 7766 suggests seconds).</summary>
    public TimeSpan TcpIdleTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How long to wait for one recursor before trying the next.</summary>
    public TimeSpan ForwardTimeout { get; init; } = TimeSpan.FromSeconds(2);

    public int MaxConcurrentForwards { get; init; } = 512;

    /// <summary>The domain as used in names: lower case, no trailing dot.</summary>
    public string NormalizedDomain => DnsName.Normalize(Domain);

    public string NormalizedDatacenter => DnsName.Normalize(Datacenter);

    /// <summary>Every problem, one message each; empty when the options are usable.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(Domain) || !DnsName.IsServable(NormalizedDomain))
        {
            errors.Add($"Domain '{Domain}' is not a valid DNS name (letters, digits, '-', labels of 1-63)");
        }

        if (string.IsNullOrWhiteSpace(Datacenter) || !DnsName.IsServable(NormalizedDatacenter) || NormalizedDatacenter.Contains('.'))
        {
            errors.Add($"Datacenter '{Datacenter}' must be one DNS label");
        }
        else if (NormalizedDatacenter is "service" or "node" or "addr" or "marathon")
        {
            errors.Add($"Datacenter '{Datacenter}' would make names ambiguous (service, node, addr and marathon are taken)");
        }

        if (UdpListen is null)
        {
            errors.Add("UdpListen is required");
        }

        if (Recursors is not null && Recursors.Any(r => r is null || r.Port == 0))
        {
            errors.Add("Recursors must be address:port with a non-zero port");
        }

        if (UdpAnswerLimit < 0)
        {
            errors.Add("UdpAnswerLimit must be >= 0");
        }

        if (MaxUdpPayload is < DnsMessage.MaxUdpWithoutEdns or > ushort.MaxValue)
        {
            errors.Add("MaxUdpPayload must be between 512 and 65535");
        }

        if (UdpReceivers is < 0 or > 64)
        {
            errors.Add("UdpReceivers must be between 0 (one per processor) and 64");
        }

        if (MaxTcpConnections < 1)
        {
            errors.Add("MaxTcpConnections must be >= 1");
        }

        if (TcpIdleTimeout <= TimeSpan.Zero)
        {
            errors.Add("TcpIdleTimeout must be positive");
        }

        if (ForwardTimeout <= TimeSpan.Zero)
        {
            errors.Add("ForwardTimeout must be positive");
        }

        if (MaxConcurrentForwards < 1)
        {
            errors.Add("MaxConcurrentForwards must be >= 1");
        }

        return errors;
    }

    public void ThrowIfInvalid()
    {
        var errors = Validate();
        if (errors.Count > 0)
        {
            throw new ArgumentException("invalid DNS options: " + string.Join("; ", errors));
        }
    }

    /// <summary>
    /// Parses "ip", "ip:port", "[v6]:port" or ":port" (all interfaces) as --dns-listen and --recursor give them.
    /// </summary>
    /// <exception cref="FormatException">The text is not an address (see <see cref="HostPort"/> for the messages).</exception>
    public static IPEndPoint ParseEndpoint(string text, int defaultPort = 53) => HostPort.ParseEndPoint(text, defaultPort);

    /// <summary>The nameservers of a resolv.conf (port 53), in file order; none when it is missing.</summary>
    public static IReadOnlyList<IPEndPoint> ReadResolvConf(string path)
    {
        if (!File.Exists(path))
        {
            return [];
        }

        var result = new List<IPEndPoint>();
        foreach (var raw in File.ReadLines(path))
        {
            var line = raw.Trim();
            if (!line.StartsWith("nameserver", StringComparison.Ordinal))
            {
                continue;
            }

            var parts = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            // scoped IPv6 (fe80::1%eth0) parses too; anything else is skipped, as glibc does
            if (parts.Length >= 2 && parts[0] == "nameserver" && IPAddress.TryParse(parts[1], out var address))
            {
                result.Add(new IPEndPoint(address, 53));
            }
        }

        return result;
    }
}
