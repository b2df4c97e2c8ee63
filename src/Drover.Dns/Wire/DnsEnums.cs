namespace Drover.Dns.Wire;

/// <summary>Resource record types Drover reads or writes (others pass through as raw data).</summary>
public enum DnsRecordType : ushort
{
    A = 1,
    NS = 2,
    CNAME = 5,
    SOA = 6,
    PTR = 12,
    MX = 15,
    TXT = 16,
    AAAA = 28,
    SRV = 33,
    OPT = 41,
    ANY = 255,
}

public static class DnsClass
{
    public const ushort IN = 1;
    public const ushort CH = 3;
    public const ushort ANY = 255;
}

public enum DnsOpcode : byte
{
    Query = 0,
    IQuery = 1,
    Status = 2,
    Notify = 4,
    Update = 5,
}

/// <summary>Response codes; values above 15 need EDNS0 (the upper 8 bits travel in the OPT record).</summary>
public enum DnsResponseCode : ushort
{
    NoError = 0,
    FormErr = 1,
    ServFail = 2,
    NXDomain = 3,
    NotImp = 4,
    Refused = 5,
    BadVers = 16,
}

/// <summary>The header's flag bits (RFC 1035 §4.1.1, RFC 4035 for AD/CD).</summary>
internal static class DnsFlags
{
    public const ushort QR = 0x8000;
    public const ushort AA = 0x0400;
    public const ushort TC = 0x0200;
    public const ushort RD = 0x0100;
    public const ushort RA = 0x0080;
    public const ushort AD = 0x0020;
    public const ushort CD = 0x0010;
    public const int OpcodeShift = 11;
    public const ushort OpcodeMask = 0x7800;
    public const ushort RcodeMask = 0x000F;
}

/// <summary>Thrown when bytes are not a well-formed DNS message (or one exceeds a limit).</summary>
public sealed class DnsFormatException(string message) : Exception(message);
