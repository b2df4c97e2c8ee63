using System.Net;

namespace Drover.Dns.Wire;

public sealed record DnsQuestion(string Name, DnsRecordType Type, ushort Class = DnsClass.IN);

/// <summary>A resource record. <see cref="Name"/> is dotted without the trailing dot ("" = root).</summary>
public sealed record DnsResourceRecord(string Name, DnsRecordType Type, ushort Class, uint Ttl, DnsRecordData Data)
{
    public static DnsResourceRecord Address(string name, IPAddress address, uint ttl) =>
        new(name, address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? DnsRecordType.AAAA : DnsRecordType.A,
            DnsClass.IN, ttl, new DnsAddressData(address));
}

/// <summary>Typed RDATA; records of types Drover does not interpret keep their bytes in <see cref="DnsRawData"/>.</summary>
public abstract record DnsRecordData;

/// <summary>A (IPv4) or AAAA (IPv6).</summary>
public sealed record DnsAddressData(IPAddress Address) : DnsRecordData;

/// <summary>RFC 2782 SRV.</summary>
public sealed record DnsSrvData(ushort Priority, ushort Weight, ushort Port, string Target) : DnsRecordData;

public sealed record DnsSoaData(
    string PrimaryServer, string Mailbox, uint Serial, uint Refresh, uint Retry, uint Expire, uint Minimum) : DnsRecordData;

/// <summary>NS, CNAME, PTR: one domain name.</summary>
public sealed record DnsNameData(string Name) : DnsRecordData;

public sealed record DnsRawData(byte[] Bytes) : DnsRecordData
{
    public bool Equals(DnsRawData? other) => other is not null && Bytes.AsSpan().SequenceEqual(other.Bytes);
    public override int GetHashCode() => Bytes.Length;
}

/// <summary>
/// EDNS0 (RFC 6891) as carried by the OPT pseudo-record: the requester's UDP payload size,
/// the upper bits of the response code, version and the DO bit. Options are kept as raw bytes.
/// </summary>
public sealed record DnsEdns(ushort UdpPayloadSize = 1232, byte Version = 0, bool DnssecOk = false)
{
    /// <summary>The option bytes (code, length, data)*, unparsed.</summary>
    public byte[] Options { get; init; } = [];
    /// <summary>The upper 8 bits of a 12-bit response code (set by <see cref="DnsMessage"/>).</summary>
    internal byte ExtendedRcode { get; init; }

    public bool Equals(DnsEdns? other) =>
        other is not null && UdpPayloadSize == other.UdpPayloadSize && Version == other.Version
        && DnssecOk == other.DnssecOk && ExtendedRcode == other.ExtendedRcode && Options.AsSpan().SequenceEqual(other.Options);

    public override int GetHashCode() => HashCode.Combine(UdpPayloadSize, Version, DnssecOk);
}
