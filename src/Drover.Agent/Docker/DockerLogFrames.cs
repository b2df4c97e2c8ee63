using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace Drover.Agent.Docker;

/// <summary>Which stream a frame of a container's output belongs to (the first byte of its header).</summary>
public enum DockerStreamType : byte { Stdin = 0, Stdout = 1, Stderr = 2 }

/// <summary>One frame of Docker's multiplexed output: a stream type and the bytes written to it.</summary>
public readonly record struct DockerLogFrame(DockerStreamType Stream, ReadOnlyMemory<byte> Payload);

/// <summary>
/// Reads Docker's multiplexed stream (containers without a TTY): frames of an 8-byte header — stream type, three
/// zero bytes, a big-endian 32-bit payload length — followed by the payload. Headers may arrive split across reads.
/// </summary>
public static class DockerLogFrames
{
    public const int HeaderSize = 8;
    /// <summary>Larger frames than this are not Docker's (it splits messages at 16 KiB): the stream is not multiplexed.</summary>
    public const int MaxFrame = 16 * 1024 * 1024;

    /// <summary>Frames until the stream ends; a stream that ends inside a frame or carries a bad header throws <see cref="DockerProtocolException"/>.</summary>
    public static async IAsyncEnumerable<DockerLogFrame> ReadAsync(Stream stream,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct = default)
    {
        var header = new byte[HeaderSize];
        while (true)
        {
            var got = await FillAsync(stream, header, ct).ConfigureAwait(false);
            if (got == 0) yield break;
            if (got < HeaderSize) throw new DockerProtocolException($"the log stream ended inside a frame header ({got} of {HeaderSize} bytes)");
            var (type, length) = ParseHeader(header);
            var payload = new byte[length];
            var read = await FillAsync(stream, payload, ct).ConfigureAwait(false);
            if (read < length) throw new DockerProtocolException($"the log stream ended inside a frame ({read} of {length} bytes)");
            yield return new DockerLogFrame(type, payload);
        }
    }

    /// <summary>Stream type and payload length of a frame header.</summary>
    public static (DockerStreamType Type, int Length) ParseHeader(ReadOnlySpan<byte> header)
    {
        if (header.Length < HeaderSize) throw new DockerProtocolException("a frame header has 8 bytes");
        if (header[0] > 2 || header[1] != 0 || header[2] != 0 || header[3] != 0)
            throw new DockerProtocolException($"not a multiplexed log stream (header {Convert.ToHexString(header[..HeaderSize])})");
        var length = BinaryPrimitives.ReadUInt32BigEndian(header[4..]);
        if (length > MaxFrame) throw new DockerProtocolException($"a log frame of {length} bytes is larger than Docker sends");
        return ((DockerStreamType)header[0], (int)length);
    }

    /// <summary>Writes a frame as Docker does (for tests and tools).</summary>
    public static byte[] Encode(DockerStreamType type, ReadOnlySpan<byte> payload)
    {
        var frame = new byte[HeaderSize + payload.Length];
        frame[0] = (byte)type;
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(4), (uint)payload.Length);
        payload.CopyTo(frame.AsSpan(HeaderSize));
        return frame;
    }

    /// <summary>
    /// Splits the "2026-11-29T22:17:55.878168632Z " prefix that timestamps=1 puts before every message; null time
    /// (and the payload unchanged) when there is none.
    /// </summary>
    public static (DateTimeOffset? At, ReadOnlyMemory<byte> Text) SplitTimestamp(ReadOnlyMemory<byte> payload)
    {
        var span = payload.Span;
        var space = span[..Math.Min(span.Length, 40)].IndexOf((byte)' ');
        if (space < 20) return (null, payload);
        var text = Encoding.ASCII.GetString(span[..space]);
        return TryParseTime(text, out var at) ? (at, payload[(space + 1)..]) : (null, payload);
    }

    /// <summary>Docker's RFC 3339 times with up to nine fraction digits (.NET keeps seven).</summary>
    public static bool TryParseTime(string text, out DateTimeOffset at)
    {
        var s = text;
        var dot = s.IndexOf('.');
        if (dot > 0)
        {
            var end = dot + 1;
            while (end < s.Length && char.IsAsciiDigit(s[end])) end++;
            if (end - dot - 1 > 7) s = s[..(dot + 8)] + s[end..];
        }
        return DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out at);
    }

    private static async Task<int> FillAsync(Stream stream, byte[] buffer, CancellationToken ct)
    {
        var total = 0;
        while (total < buffer.Length)
        {
            var n = await stream.ReadAsync(buffer.AsMemory(total), ct).ConfigureAwait(false);
            if (n == 0) break;
            total += n;
        }
        return total;
    }
}
