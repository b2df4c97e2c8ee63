using System.Buffers.Binary;
using System.Text;

namespace Drover.Dns.Wire;

/// <summary>
/// Reads DNS wire format with bounds checks everywhere. Compression pointers must point strictly
/// before the run of labels that contains them, so pointer chains always terminate; the hop count
/// and the 255-byte name limit are enforced as well.
/// </summary>
public ref struct DnsReader(ReadOnlySpan<byte> message)
{
    public const int MaxPointerHops = 64;
    private readonly ReadOnlySpan<byte> _message = message;

    public int Position { get; set; }

    public readonly int Remaining => _message.Length - Position;

    public byte ReadU8()
    {
        Need(1);
        return _message[Position++];
    }

    public ushort ReadU16()
    {
        Need(2);
        var value = BinaryPrimitives.ReadUInt16BigEndian(_message[Position..]);
        Position += 2;
        return value;
    }

    public uint ReadU32()
    {
        Need(4);
        var value = BinaryPrimitives.ReadUInt32BigEndian(_message[Position..]);
        Position += 4;
        return value;
    }

    public ReadOnlySpan<byte> ReadBytes(int count)
    {
        Need(count);
        var bytes = _message.Slice(Position, count);
        Position += count;
        return bytes;
    }

    /// <summary>Reads a (possibly compressed) name as escaped dotted text without the trailing dot.</summary>
    public string ReadName()
    {
        var text = new StringBuilder();
        var p = Position;
        var runStart = p;
        var jumped = false;
        var hops = 0;
        var wireLength = 1;
        while (true)
        {
            if (p >= _message.Length)
            {
                throw new DnsFormatException("name runs past the end of the message");
            }

            var length = _message[p];
            if ((length & 0xC0) == 0xC0)
            {
                if (p + 1 >= _message.Length)
                {
                    throw new DnsFormatException("truncated compression pointer");
                }

                var target = ((length & 0x3F) << 8) | _message[p + 1];
                if (target >= runStart)
                {
                    throw new DnsFormatException("compression pointer does not point backwards");
                }

                if (++hops > MaxPointerHops)
                {
                    throw new DnsFormatException("too many compression pointers");
                }

                if (!jumped)
                {
                    Position = p + 2;
                    jumped = true;
                }

                p = runStart = target;
                continue;
            }

            if ((length & 0xC0) != 0)
            {
                throw new DnsFormatException("unsupported label type");
            }

            if (length == 0)
            {
                if (!jumped)
                {
                    Position = p + 1;
                }

                break;
            }

            wireLength += length + 1;
            if (wireLength > DnsName.MaxWireLength)
            {
                throw new DnsFormatException("name longer than 255 bytes");
            }

            if (p + 1 + length > _message.Length)
            {
                throw new DnsFormatException("label runs past the end of the message");
            }

            if (text.Length > 0)
            {
                text.Append('.');
            }

            DnsName.AppendLabel(text, _message.Slice(p + 1, length));
            p += 1 + length;
        }

        return text.ToString();
    }

    private readonly void Need(int count)
    {
        if (count < 0 || Position + count > _message.Length)
        {
            throw new DnsFormatException("message truncated");
        }
    }
}
