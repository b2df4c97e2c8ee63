using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Drover.Dns.Wire;

/// <summary>Thrown when a message does not fit the buffer (or the 16-bit limits of the format).</summary>
public sealed class DnsMessageTooLargeException() : Exception("DNS message does not fit the buffer");

/// <summary>
/// Writes DNS wire format into a caller's buffer, with RFC 1035 name compression: every name
/// written registers its suffixes, later names point at the longest registered suffix.
/// Not for the query hot path (names are parsed from text); used to build answer templates.
/// </summary>
public sealed class DnsWriter
{
    private const int MaxPointerOffset = 0x3FFF;
    private readonly byte[] _buffer;
    private readonly int _limit;
    private readonly Dictionary<string, int>? _names;

    public DnsWriter(byte[] buffer, int start = 0, int limit = -1, bool compress = true)
    {
        _buffer = buffer;
        Position = start;
        _limit = limit < 0 ? buffer.Length : Math.Min(limit, buffer.Length);
        _names = compress ? new Dictionary<string, int>(StringComparer.Ordinal) : null;
    }

    public int Position { get; set; }

    public byte[] Buffer => _buffer;

    public void WriteU8(byte value)
    {
        Ensure(1);
        _buffer[Position++] = value;
    }

    public void WriteU16(ushort value)
    {
        Ensure(2);
        BinaryPrimitives.WriteUInt16BigEndian(_buffer.AsSpan(Position), value);
        Position += 2;
    }

    public void WriteU32(uint value)
    {
        Ensure(4);
        BinaryPrimitives.WriteUInt32BigEndian(_buffer.AsSpan(Position), value);
        Position += 4;
    }

    public void WriteBytes(ReadOnlySpan<byte> bytes)
    {
        Ensure(bytes.Length);
        bytes.CopyTo(_buffer.AsSpan(Position));
        Position += bytes.Length;
    }

    public void PatchU16(int at, ushort value) => BinaryPrimitives.WriteUInt16BigEndian(_buffer.AsSpan(at), value);

    /// <summary>
    /// Writes a name. <paramref name="compress"/>=false writes it in full (RFC 2782 forbids
    /// compressing SRV targets) but still registers it so later names may point into it.
    /// </summary>
    public void WriteName(string name, bool compress = true)
    {
        var labels = DnsName.ToLabels(name);
        var keys = SuffixKeys(labels);
        for (var i = 0; i < labels.Count; i++)
        {
            if (compress && _names is not null && _names.TryGetValue(keys[i], out var target))
            {
                WriteU16((ushort)(0xC000 | target));
                return;
            }

            if (_names is not null && Position <= MaxPointerOffset)
            {
                _names.TryAdd(keys[i], Position);
            }

            WriteU8((byte)labels[i].Length);
            WriteBytes(labels[i]);
        }

        WriteU8(0);
    }

    /// <summary>Lets later names point at a name already in the buffer (e.g. a question copied in).</summary>
    public void RegisterName(string name, int offset)
    {
        if (_names is null)
        {
            return;
        }

        var labels = DnsName.ToLabels(name);
        var keys = SuffixKeys(labels);
        for (var i = 0; i < labels.Count && offset <= MaxPointerOffset; i++)
        {
            _names.TryAdd(keys[i], offset);
            offset += labels[i].Length + 1;
        }
    }

    public void WriteQuestion(DnsQuestion question)
    {
        WriteName(question.Name);
        WriteU16((ushort)question.Type);
        WriteU16(question.Class);
    }

    public void WriteRecord(DnsResourceRecord record)
    {
        WriteName(record.Name);
        WriteU16((ushort)record.Type);
        WriteU16(record.Class);
        WriteU32(record.Ttl);
        var lengthAt = Position;
        WriteU16(0);
        switch (record.Data)
        {
            case DnsAddressData a:
                WriteAddress(a.Address, record.Type);
                break;
            case DnsSrvData srv:
                WriteU16(srv.Priority);
                WriteU16(srv.Weight);
                WriteU16(srv.Port);
                WriteName(srv.Target, compress: false);
                break;
            case DnsSoaData soa:
                WriteName(soa.PrimaryServer);
                WriteName(soa.Mailbox);
                WriteU32(soa.Serial);
                WriteU32(soa.Refresh);
                WriteU32(soa.Retry);
                WriteU32(soa.Expire);
                WriteU32(soa.Minimum);
                break;
            case DnsNameData n:
                WriteName(n.Name);
                break;
            case DnsRawData raw:
                WriteBytes(raw.Bytes);
                break;
            default:
                throw new ArgumentException($"unsupported record data {record.Data.GetType().Name}", nameof(record));
        }

        var length = Position - lengthAt - 2;
        if (length > ushort.MaxValue)
        {
            throw new DnsMessageTooLargeException();
        }

        PatchU16(lengthAt, (ushort)length);
    }

    /// <summary>The OPT pseudo-record (RFC 6891 §6.1.2).</summary>
    public void WriteOpt(DnsEdns edns, byte extendedRcode)
    {
        WriteU8(0);
        WriteU16((ushort)DnsRecordType.OPT);
        WriteU16(edns.UdpPayloadSize);
        WriteU8(extendedRcode);
        WriteU8(edns.Version);
        WriteU16(edns.DnssecOk ? (ushort)0x8000 : (ushort)0);
        if (edns.Options.Length > ushort.MaxValue)
        {
            throw new DnsMessageTooLargeException();
        }

        WriteU16((ushort)edns.Options.Length);
        WriteBytes(edns.Options);
    }

    private void WriteAddress(IPAddress address, DnsRecordType type)
    {
        var expected = type == DnsRecordType.AAAA ? AddressFamily.InterNetworkV6 : AddressFamily.InterNetwork;
        if (address.AddressFamily != expected)
        {
            throw new ArgumentException($"{type} record needs an {expected} address, got {address}");
        }

        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out var written);
        WriteBytes(bytes[..written]);
    }

    private void Ensure(int count)
    {
        if (Position + count > _limit)
        {
            throw new DnsMessageTooLargeException();
        }
    }

    private static string[] SuffixKeys(List<byte[]> labels)
    {
        var keys = new string[labels.Count];
        var text = new StringBuilder();
        for (var i = labels.Count - 1; i >= 0; i--)
        {
            var lower = labels[i].Select(b => b is >= (byte)'A' and <= (byte)'Z' ? (byte)(b | 0x20) : b).ToArray();
            var label = new StringBuilder();
            DnsName.AppendLabel(label, lower);
            text.Insert(0, i == labels.Count - 1 ? label.ToString() : label + ".");
            keys[i] = text.ToString();
        }

        return keys;
    }
}
