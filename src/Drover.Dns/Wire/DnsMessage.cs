using System.Buffers.Binary;
using System.Net;

namespace Drover.Dns.Wire;

/// <summary>
/// A whole DNS message (RFC 1035 §4). The EDNS0 OPT record is not kept among
/// <see cref="Additionals"/>: it is <see cref="Edns"/>, and its extended bits are folded into
/// <see cref="ResponseCode"/>. Parsing throws <see cref="DnsFormatException"/> on anything malformed.
/// </summary>
public sealed record DnsMessage
{
    public const int HeaderLength = 12;
    public const int MaxUdpWithoutEdns = 512;

    public ushort Id { get; init; }
    public bool IsResponse { get; init; }
    public DnsOpcode Opcode { get; init; }
    public bool Authoritative { get; init; }
    public bool Truncated { get; init; }
    public bool RecursionDesired { get; init; }
    public bool RecursionAvailable { get; init; }
    public bool AuthenticData { get; init; }
    public bool CheckingDisabled { get; init; }
    public DnsResponseCode ResponseCode { get; init; }
    public IReadOnlyList<DnsQuestion> Questions { get; init; } = [];
    public IReadOnlyList<DnsResourceRecord> Answers { get; init; } = [];
    public IReadOnlyList<DnsResourceRecord> Authorities { get; init; } = [];
    public IReadOnlyList<DnsResourceRecord> Additionals { get; init; } = [];
    public DnsEdns? Edns { get; init; }

    /// <summary>A standard query with one question (RD set, as stub resolvers send).</summary>
    public static DnsMessage Query(string name, DnsRecordType type, ushort id = 0, DnsEdns? edns = null) => new()
    {
        Id = id,
        RecursionDesired = true,
        Questions = [new DnsQuestion(name, type)],
        Edns = edns,
    };

    public static DnsMessage Parse(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < HeaderLength)
        {
            throw new DnsFormatException("shorter than a DNS header");
        }

        var reader = new DnsReader(bytes);
        var id = reader.ReadU16();
        var flags = reader.ReadU16();
        var qd = reader.ReadU16();
        var an = reader.ReadU16();
        var ns = reader.ReadU16();
        var ar = reader.ReadU16();

        var questions = new List<DnsQuestion>(Math.Min((int)qd, 16));
        for (var i = 0; i < qd; i++)
        {
            var name = reader.ReadName();
            questions.Add(new DnsQuestion(name, (DnsRecordType)reader.ReadU16(), reader.ReadU16()));
        }

        var answers = ReadRecords(ref reader, an, null);
        var authorities = ReadRecords(ref reader, ns, null);
        DnsEdns? edns = null;
        var additionals = ReadRecords(ref reader, ar, opt =>
        {
            if (edns is not null)
            {
                throw new DnsFormatException("more than one OPT record");
            }

            edns = opt;
        });

        var rcode = (ushort)((flags & DnsFlags.RcodeMask) | ((edns?.ExtendedRcode ?? 0) << 4));
        return new DnsMessage
        {
            Id = id,
            IsResponse = (flags & DnsFlags.QR) != 0,
            Opcode = (DnsOpcode)((flags & DnsFlags.OpcodeMask) >> DnsFlags.OpcodeShift),
            Authoritative = (flags & DnsFlags.AA) != 0,
            Truncated = (flags & DnsFlags.TC) != 0,
            RecursionDesired = (flags & DnsFlags.RD) != 0,
            RecursionAvailable = (flags & DnsFlags.RA) != 0,
            AuthenticData = (flags & DnsFlags.AD) != 0,
            CheckingDisabled = (flags & DnsFlags.CD) != 0,
            ResponseCode = (DnsResponseCode)rcode,
            Questions = questions,
            Answers = answers,
            Authorities = authorities,
            Additionals = additionals,
            Edns = edns,
        };
    }

    /// <summary>Writes the message into <paramref name="buffer"/>; returns its length.</summary>
    public int WriteTo(byte[] buffer, bool compress = true, int limit = -1)
    {
        var rcode = (int)ResponseCode;
        if (rcode > 0xF && Edns is null)
        {
            throw new InvalidOperationException($"response code {ResponseCode} needs EDNS0");
        }

        if (Questions.Count > ushort.MaxValue || Answers.Count > ushort.MaxValue
            || Authorities.Count > ushort.MaxValue || Additionals.Count + 1 > ushort.MaxValue)
        {
            throw new DnsMessageTooLargeException();
        }

        var writer = new DnsWriter(buffer, 0, limit, compress);
        writer.WriteU16(Id);
        writer.WriteU16(Flags((ushort)(rcode & 0xF)));
        writer.WriteU16((ushort)Questions.Count);
        writer.WriteU16((ushort)Answers.Count);
        writer.WriteU16((ushort)Authorities.Count);
        writer.WriteU16((ushort)(Additionals.Count + (Edns is null ? 0 : 1)));
        foreach (var q in Questions)
        {
            writer.WriteQuestion(q);
        }

        foreach (var section in (IReadOnlyList<DnsResourceRecord>[])[Answers, Authorities, Additionals])
        {
            foreach (var record in section)
            {
                writer.WriteRecord(record);
            }
        }

        if (Edns is not null)
        {
            writer.WriteOpt(Edns, (byte)(rcode >> 4));
        }

        return writer.Position;
    }

    public byte[] ToArray(bool compress = true)
    {
        var buffer = new byte[ushort.MaxValue];
        var length = WriteTo(buffer, compress);
        return buffer.AsSpan(0, length).ToArray();
    }

    private ushort Flags(ushort rcode)
    {
        var flags = (ushort)(((int)Opcode << DnsFlags.OpcodeShift) & DnsFlags.OpcodeMask);
        if (IsResponse) flags |= DnsFlags.QR;
        if (Authoritative) flags |= DnsFlags.AA;
        if (Truncated) flags |= DnsFlags.TC;
        if (RecursionDesired) flags |= DnsFlags.RD;
        if (RecursionAvailable) flags |= DnsFlags.RA;
        if (AuthenticData) flags |= DnsFlags.AD;
        if (CheckingDisabled) flags |= DnsFlags.CD;
        return (ushort)(flags | rcode);
    }

    private static List<DnsResourceRecord> ReadRecords(ref DnsReader reader, ushort count, Action<DnsEdns>? onOpt)
    {
        var records = new List<DnsResourceRecord>(Math.Min((int)count, 64));
        for (var i = 0; i < count; i++)
        {
            var name = reader.ReadName();
            var type = (DnsRecordType)reader.ReadU16();
            var klass = reader.ReadU16();
            var ttl = reader.ReadU32();
            var length = reader.ReadU16();
            var rdataStart = reader.Position;
            var rdata = reader.ReadBytes(length);
            if (type == DnsRecordType.OPT)
            {
                if (onOpt is null)
                {
                    throw new DnsFormatException("OPT record outside the additional section");
                }

                if (name.Length != 0)
                {
                    throw new DnsFormatException("OPT record with a non-root owner");
                }

                onOpt(new DnsEdns(klass, (byte)(ttl >> 16), (ttl & 0x8000) != 0)
                {
                    ExtendedRcode = (byte)(ttl >> 24),
                    Options = rdata.ToArray(),
                });
                continue;
            }

            var end = reader.Position;
            reader.Position = rdataStart;
            var data = ReadData(ref reader, type, rdata, end);
            if (reader.Position != end)
            {
                throw new DnsFormatException($"{type} record data has the wrong length");
            }

            records.Add(new DnsResourceRecord(name, type, klass, ttl, data));
        }

        return records;
    }

    private static DnsRecordData ReadData(ref DnsReader reader, DnsRecordType type, ReadOnlySpan<byte> rdata, int end)
    {
        switch (type)
        {
            case DnsRecordType.A when rdata.Length == 4:
            case DnsRecordType.AAAA when rdata.Length == 16:
                reader.Position = end;
                return new DnsAddressData(new IPAddress(rdata));
            case DnsRecordType.A:
            case DnsRecordType.AAAA:
                throw new DnsFormatException($"{type} record with {rdata.Length} bytes of data");
            case DnsRecordType.SRV:
                return new DnsSrvData(reader.ReadU16(), reader.ReadU16(), reader.ReadU16(), reader.ReadName());
            case DnsRecordType.SOA:
                return new DnsSoaData(reader.ReadName(), reader.ReadName(),
                    reader.ReadU32(), reader.ReadU32(), reader.ReadU32(), reader.ReadU32(), reader.ReadU32());
            case DnsRecordType.NS:
            case DnsRecordType.CNAME:
            case DnsRecordType.PTR:
                return new DnsNameData(reader.ReadName());
            default:
                reader.Position = end;
                return new DnsRawData(rdata.ToArray());
        }
    }

    /// <summary>The id of a message in <paramref name="bytes"/> (which must hold a header).</summary>
    internal static ushort ReadId(ReadOnlySpan<byte> bytes) => BinaryPrimitives.ReadUInt16BigEndian(bytes);
}
