using System.Buffers.Binary;

namespace Drover.Agent.Docker;

/// <summary>
/// Push parser of Docker's multiplexed log stream (containers without a TTY): frames of an 8-byte header — stream
/// type, three zero bytes, a big-endian 32-bit payload length — then the payload. Bytes may be fed in any pieces
/// (a header split across reads is normal on a socket). Pure: no I/O, so it is unit- and fuzz-tested alone.
/// A payload buffer grows only as its bytes arrive, so a header that claims 4 GiB costs nothing before it is
/// refused, and a frame larger than <see cref="MaxFrame"/> is refused outright (Docker splits messages at 16 KiB).
/// </summary>
public sealed class DockerFrameDecoder(int maxFrame = DockerFrameDecoder.MaxFrame)
{
    public const int HeaderSize = 8;
    /// <summary>Larger frames than this are not Docker's: the stream is not multiplexed (or is corrupt).</summary>
    public const int MaxFrame = 16 * 1024 * 1024;

    private readonly byte[] _header = new byte[HeaderSize];
    private int _headerLength;
    private DockerStreamType _type;
    private byte[]? _payload; // null while reading a header
    private int _payloadLength;
    private int _payloadRead;
    private bool _broken;

    /// <summary>True when the bytes fed so far end inside a frame (header or payload).</summary>
    public bool InFrame => _headerLength > 0 || _payload is not null;

    /// <summary>What is missing when the stream ended inside a frame; null when it ended between frames.</summary>
    public string? Unfinished =>
        _payload is not null ? $"the log stream ended inside a frame ({_payloadRead} of {_payloadLength} bytes)"
        : _headerLength > 0 ? $"the log stream ended inside a frame header ({_headerLength} of {HeaderSize} bytes)"
        : null;

    /// <summary>
    /// Adds bytes; returns the frames they complete. Throws <see cref="DockerProtocolException"/> on a header that is
    /// not Docker's, after which the decoder refuses more input (framing is lost; the caller reconnects).
    /// </summary>
    public List<DockerLogFrame> Feed(ReadOnlySpan<byte> bytes)
    {
        if (_broken) throw new DockerProtocolException("the log stream's framing was lost earlier");
        var frames = new List<DockerLogFrame>();
        while (bytes.Length > 0)
        {
            if (_payload is null)
            {
                var n = Math.Min(HeaderSize - _headerLength, bytes.Length);
                bytes[..n].CopyTo(_header.AsSpan(_headerLength));
                _headerLength += n;
                bytes = bytes[n..];
                if (_headerLength < HeaderSize) break;
                try
                {
                    (_type, _payloadLength) = ParseHeader(_header, maxFrame);
                }
                catch (DockerProtocolException)
                {
                    _broken = true;
                    throw;
                }
                _headerLength = 0;
                _payloadRead = 0;
                _payload = new byte[Math.Min(_payloadLength, 64 * 1024)];
            }
            var take = Math.Min(_payloadLength - _payloadRead, bytes.Length);
            if (_payloadRead + take > _payload.Length)
                Array.Resize(ref _payload, (int)Math.Min(_payloadLength, Math.Max((long)_payload.Length * 2, _payloadRead + take)));
            bytes[..take].CopyTo(_payload.AsSpan(_payloadRead));
            _payloadRead += take;
            bytes = bytes[take..];
            if (_payloadRead < _payloadLength) continue;
            frames.Add(new DockerLogFrame(_type, _payload));
            _payload = null;
        }
        return frames;
    }

    /// <summary>Stream type and payload length of a frame header; throws <see cref="DockerProtocolException"/> for anything else.</summary>
    public static (DockerStreamType Type, int Length) ParseHeader(ReadOnlySpan<byte> header, int maxFrame = MaxFrame)
    {
        if (header.Length < HeaderSize) throw new DockerProtocolException("a frame header has 8 bytes");
        if (header[0] > 2 || header[1] != 0 || header[2] != 0 || header[3] != 0)
            throw new DockerProtocolException($"not a multiplexed log stream (header {Convert.ToHexString(header[..HeaderSize])})");
        var length = BinaryPrimitives.ReadUInt32BigEndian(header[4..]);
        if (length > (uint)maxFrame) throw new DockerProtocolException($"a log frame of {length} bytes is larger than Docker sends");
        return ((DockerStreamType)header[0], (int)length);
    }
}
