using System.Net;
using System.Text.Json.Serialization;
using Drover.Dns.Records;
using Drover.Dns.Wire;

namespace Drover.Dns.MesosDns;

/// <summary>An item of <c>GET /v1/services/{service}</c>; <c>port</c> is a string, as Mesos-DNS sends it.</summary>
public sealed record MesosDnsServiceRecord(
    [property: JsonPropertyName("service")] string Service,
    [property: JsonPropertyName("host")] string Host,
    [property: JsonPropertyName("ip")] string Ip,
    [property: JsonPropertyName("port")] string Port);

/// <summary>An item of <c>GET /v1/hosts/{host}</c>.</summary>
public sealed record MesosDnsHostRecord(
    [property: JsonPropertyName("host")] string Host,
    [property: JsonPropertyName("ip")] string Ip);

/// <summary><c>GET /v1/version</c>.</summary>
public sealed record MesosDnsVersion(
    [property: JsonPropertyName("Service")] string Service,
    [property: JsonPropertyName("Version")] string Version,
    [property: JsonPropertyName("URL")] string Url);

public sealed record MesosDnsCredentials(
    [property: JsonPropertyName("Principal")] string Principal,
    [property: JsonPropertyName("Secret")] string Secret);

/// <summary><c>GET /v1/config</c>: Mesos-DNS's config object with its Go field names, filled from Drover's options.</summary>
public sealed record MesosDnsConfig
{
    public int RefreshSeconds { get; init; }
    public int Port { get; init; }
    public int Timeout { get; init; }
    public int StateTimeoutSeconds { get; init; }
    public int ZkDetectionTimeout { get; init; }
    public int HttpPort { get; init; }
    [JsonPropertyName("TTL")] public long Ttl { get; init; }
    [JsonPropertyName("SRVRecordDefaultWeight")] public int SrvRecordDefaultWeight { get; init; }
    [JsonPropertyName("SOASerial")] public uint SoaSerial { get; init; }
    [JsonPropertyName("SOARefresh")] public uint SoaRefresh { get; init; }
    [JsonPropertyName("SOARetry")] public uint SoaRetry { get; init; }
    [JsonPropertyName("SOAExpire")] public uint SoaExpire { get; init; }
    [JsonPropertyName("SOAMinttl")] public uint SoaMinttl { get; init; }
    [JsonPropertyName("SOAMname")] public string SoaMname { get; init; } = "";
    [JsonPropertyName("SOARname")] public string SoaRname { get; init; } = "";
    public IReadOnlyList<string> Masters { get; init; } = [];
    public IReadOnlyDictionary<string, IReadOnlyList<string>> ZoneResolvers { get; init; } = new Dictionary<string, IReadOnlyList<string>>();
    public IReadOnlyList<string> Resolvers { get; init; } = [];
    [JsonPropertyName("IPSources")] public IReadOnlyList<string> IpSources { get; init; } = [];
    public string Zk { get; init; } = "";
    public string Domain { get; init; } = "";
    public string File { get; init; } = "";
    public string Listener { get; init; } = "";
    [JsonPropertyName("HTTPListener")] public string HttpListener { get; init; } = "";
    public bool RecurseOn { get; init; }
    public bool DnsOn { get; init; }
    public bool HttpOn { get; init; }
    public bool ExternalOn { get; init; }
    [JsonPropertyName("EnforceRFC952")] public bool EnforceRfc952 { get; init; }
    public bool SetTruncateBit { get; init; }
    public bool EnumerationOn { get; init; }
    [JsonPropertyName("MesosHTTPSOn")] public bool MesosHttpsOn { get; init; }
    public string CACertFile { get; init; } = "";
    public string CertFile { get; init; } = "";
    public string KeyFile { get; init; } = "";
    public MesosDnsCredentials MesosCredentials { get; init; } = new("", "");
    [JsonPropertyName("IAMConfigFile")] public string IamConfigFile { get; init; } = "";
    public string MesosAuthentication { get; init; } = "";
}

[JsonSerializable(typeof(IReadOnlyList<MesosDnsServiceRecord>))]
[JsonSerializable(typeof(IReadOnlyList<MesosDnsHostRecord>))]
[JsonSerializable(typeof(MesosDnsVersion))]
[JsonSerializable(typeof(MesosDnsConfig))]
public sealed partial class MesosDnsJsonContext : JsonSerializerContext;

/// <summary>
/// The Mesos-DNS HTTP API (compat §5.4) as pure functions over a record set; the server maps
/// them to routes. Lookups are case-insensitive and accept the name with or without its trailing dot.
/// </summary>
public static class MesosDnsApi
{
    public const string ServiceName = "Mesos-DNS";
    public const string Url = "https://github.com/mesosphere/mesos-dns";

    /// <summary>
    /// <c>/v1/services/_app._tcp.marathon.&lt;domain&gt;.</c>: one item per SRV record with the
    /// first address of its target; <c>service</c> echoes the name as given. No match: one empty item.
    /// </summary>
    public static IReadOnlyList<MesosDnsServiceRecord> Services(DnsRecordSet set, string service)
    {
        ArgumentNullException.ThrowIfNull(set);
        var records = Valid(service) ? set.GetSrv(service) : [];
        if (records.Count == 0)
        {
            return [new MesosDnsServiceRecord("", "", "", "")];
        }

        return records
            .Select(srv => new MesosDnsServiceRecord(service, srv.Target + ".",
                set.GetAddresses(srv.Target).FirstOrDefault()?.ToString() ?? "",
                srv.Port.ToString(System.Globalization.CultureInfo.InvariantCulture)))
            .ToList();
    }

    /// <summary><c>/v1/hosts/{host}</c>: its A and AAAA records. No match: one empty item.</summary>
    public static IReadOnlyList<MesosDnsHostRecord> Hosts(DnsRecordSet set, string host)
    {
        ArgumentNullException.ThrowIfNull(set);
        var addresses = Valid(host) ? set.GetAddresses(host) : [];
        if (addresses.Count == 0)
        {
            return [new MesosDnsHostRecord("", "")];
        }

        var name = DnsName.Normalize(host) + ".";
        return addresses.Select(a => new MesosDnsHostRecord(name, a.ToString())).ToList();
    }

    public static MesosDnsVersion Version(string version) => new(ServiceName, version, Url);

    /// <summary><c>/v1/config</c> describing Drover's DNS in Mesos-DNS's terms.</summary>
    public static MesosDnsConfig Config(DnsOptions options, DnsRecordSet? set = null, IReadOnlyList<IPEndPoint>? recursors = null, int httpPort = 0)
    {
        ArgumentNullException.ThrowIfNull(options);
        var domain = options.NormalizedDomain;
        var forwarding = options.EnableForwarding && (recursors ?? options.Recursors ?? []).Count > 0;
        return new MesosDnsConfig
        {
            RefreshSeconds = 0, // rebuilt on every catalog change, not polled
            Port = options.UdpListen.Port,
            Timeout = (int)Math.Ceiling(options.ForwardTimeout.TotalSeconds),
            HttpPort = httpPort,
            Ttl = options.ServiceTtl,
            SrvRecordDefaultWeight = 1,
            SoaSerial = set?.Serial ?? 0,
            SoaRefresh = DnsRecordSet.SoaRefresh,
            SoaRetry = DnsRecordSet.SoaRetry,
            SoaExpire = DnsRecordSet.SoaExpire,
            SoaMinttl = options.NegativeTtl,
            SoaMname = $"ns.{domain}.",
            SoaRname = $"hostmaster.{domain}.",
            Resolvers = (recursors ?? options.Recursors ?? []).Select(r => r.Address.ToString()).ToList(),
            IpSources = ["host"],
            Domain = domain,
            Listener = options.UdpListen.Address.ToString(),
            RecurseOn = forwarding,
            DnsOn = true,
            HttpOn = true,
            ExternalOn = forwarding,
            SetTruncateBit = true,
        };
    }

    private static bool Valid(string name)
    {
        try
        {
            return !string.IsNullOrWhiteSpace(name) && DnsName.ToLabels(name).Count > 0;
        }
        catch (DnsFormatException)
        {
            return false;
        }
    }
}
