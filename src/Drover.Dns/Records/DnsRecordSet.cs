using System.Net;
using Drover.Core.Discovery;
using Drover.Dns.Wire;

namespace Drover.Dns.Records;

/// <summary>
/// Everything Drover's DNS answers for its domain at one moment: immutable, built from a
/// <see cref="CatalogSnapshot"/> (as Mesos-DNS builds its record set from the master state) and
/// swapped in whole by the server. Name lookups are case-insensitive.
/// </summary>
public sealed class DnsRecordSet
{
    /// <summary>SOA timers as Consul sends them.</summary>
    public const uint SoaRefresh = 3600, SoaRetry = 600, SoaExpire = 86400;

    private readonly Dictionary<string, DnsNameEntry> _entries;
    private readonly Dictionary<string, DnsNameEntry>.AlternateLookup<ReadOnlySpan<char>> _lookup;

    internal DnsRecordSet(DnsOptions options, uint serial, Dictionary<string, DnsNameEntry> entries,
        IReadOnlyDictionary<string, FailoverChoice> failover, long catalogIndex)
    {
        Options = options;
        Serial = serial;
        Domain = options.NormalizedDomain;
        Datacenter = options.NormalizedDatacenter;
        NameServer = "ns." + Domain;
        DomainSuffix = "." + Domain;
        ApexWireLength = Domain.Length + 2;
        Failover = failover;
        CatalogIndex = catalogIndex;
        _entries = entries;
        _lookup = entries.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    public DnsOptions Options { get; }
    /// <summary>The SOA serial; rises with every rebuild.</summary>
    public uint Serial { get; }
    /// <summary>The zone apex, lower case without the trailing dot.</summary>
    public string Domain { get; }
    public string Datacenter { get; }
    /// <summary>The name in the apex NS record and the SOA MNAME ("ns.&lt;domain&gt;").</summary>
    public string NameServer { get; }
    /// <summary>The catalog index the set was built from.</summary>
    public long CatalogIndex { get; }
    /// <summary>What each failover name answers, by service (for the HTTP API as well).</summary>
    public IReadOnlyDictionary<string, FailoverChoice> Failover { get; }
    public int NameCount => _entries.Count;
    public IEnumerable<string> Names => _entries.Keys;

    internal string DomainSuffix { get; }
    /// <summary>Wire length of the apex name (labels + root byte).</summary>
    internal int ApexWireLength { get; }

    /// <summary>An empty zone (apex SOA/NS only): what the server answers before the first catalog.</summary>
    public static DnsRecordSet Empty(DnsOptions options, uint serial = 1) =>
        Build(CatalogSnapshot.Empty, options, serial);

    /// <summary>
    /// Builds the set. <paramref name="previousFailover"/> is the previous set's <see cref="Failover"/>
    /// (a policy with FailBack=false keeps its tag across rebuilds through it).
    /// </summary>
    public static DnsRecordSet Build(CatalogSnapshot snapshot, DnsOptions options, uint serial,
        IReadOnlyDictionary<string, FailoverChoice>? previousFailover = null, DateTimeOffset? now = null)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        ArgumentNullException.ThrowIfNull(options);
        options.ThrowIfInvalid();
        var failover = FailoverResolver.ResolveAll(snapshot, previousFailover, now ?? DateTimeOffset.UtcNow, options.OnlyPassing);
        var entries = new RecordSetBuilder(options).Build(snapshot, failover);
        return new DnsRecordSet(options, serial, entries, failover, snapshot.Index);
    }

    /// <summary>True when the name exists in the zone (with records or as an empty non-terminal).</summary>
    public bool Contains(string name) => _entries.ContainsKey(DnsName.Normalize(name));

    /// <summary>A and AAAA addresses of a name (empty when none).</summary>
    public IReadOnlyList<IPAddress> GetAddresses(string name) =>
        _entries.TryGetValue(DnsName.Normalize(name), out var e) ? [.. e.A, .. e.Aaaa] : [];

    public IReadOnlyList<DnsSrvRecord> GetSrv(string name) =>
        _entries.TryGetValue(DnsName.Normalize(name), out var e) ? e.Srv : [];

    /// <summary>True when the (normalized) name is the apex or below it.</summary>
    public bool IsInZone(string name)
    {
        var n = DnsName.Normalize(name);
        return n == Domain || n.EndsWith(DomainSuffix, StringComparison.Ordinal);
    }

    internal bool TryFind(ReadOnlySpan<char> lowerName, out DnsNameEntry entry) =>
        _lookup.TryGetValue(lowerName, out entry!);

    internal bool IsInZone(ReadOnlySpan<char> lowerName) =>
        lowerName.SequenceEqual(Domain) || lowerName.EndsWith(DomainSuffix, StringComparison.Ordinal);

    internal uint TtlOf(string name) => _entries.TryGetValue(DnsName.Normalize(name), out var e) ? e.Ttl : Options.NodeTtl;

    internal DnsResourceRecord SoaRecord(uint ttl) => new(Domain, DnsRecordType.SOA, DnsClass.IN, ttl,
        new DnsSoaData(NameServer, "hostmaster." + Domain, Serial, SoaRefresh, SoaRetry, SoaExpire, Options.NegativeTtl));
}
