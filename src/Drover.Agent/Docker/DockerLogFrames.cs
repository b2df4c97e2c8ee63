using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace Drover.Agent.Docker;

/// <summary>Which stream a frame of a container's output belongs to (the first byte of its header).</summary>
public enum DockerStreamType : byte { Stdin = 0, Stdout = 1, Stderr = 2 }

/// <summary>One frame of Docker's multiplexed output: a stream type and the bytes written to it.</summary>
public readonly record struct DockerLogFrame(DockerStreamType Stream, ReadOnlyMemory<byte> Payload);

/// <summary>
/// Docker's multiplexed stream (containers without a TTY), read with <see cref="DockerFrameDecoder"/>, and the
/// timestamps that <c>timestamps=1</c> puts before every message.
/// </summary>
public static class DockerLogFrames
{
    public const int HeaderSize = DockerFrameDecoder.HeaderSize;

    /// <summary>Frames until the stream ends; a stream that ends inside a frame or carries a bad header throws <see cref="DockerProtocolException"/>.</summary>
    public static async IAsyncEnumerable<DockerLogFrame> ReadAsync(Stream stream,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct = default)
    {
        var decoder = new DockerFrameDecoder();
        var buffer = new byte[64 * 1024];
        while (true)
        {
            var n = await stream.ReadAsync(buffer, ct).ConfigureAwait(false);
            if (n == 0) break;
            foreach (var frame in decoder.Feed(buffer.AsSpan(0, n))) yield return frame;
        }
        if (decoder.Unfinished is { } unfinished) throw new DockerProtocolException(unfinished);
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
        var (stamp, text) = SplitStamp(payload);
        return stamp is not null && TryParseTime(stamp, out var at) ? (at, text) : (null, payload);
    }

    /// <summary>The timestamp prefix in nanoseconds since the epoch (all nine digits) and the message after it; null time (and the payload unchanged) when there is none.</summary>
    public static (long? UnixNanos, ReadOnlyMemory<byte> Text) SplitUnixNanos(ReadOnlyMemory<byte> payload)
    {
        var (stamp, text) = SplitStamp(payload);
        return stamp is not null && TryParseUnixNanos(stamp, out var ns) ? (ns, text) : (null, payload);
    }

    /// <summary>The timestamp prefix as written (parse it with <see cref="TryParseTime"/> or <see cref="TryParseUnixNanos"/>) and the message after it.</summary>
    public static (string? Stamp, ReadOnlyMemory<byte> Text) SplitStamp(ReadOnlyMemory<byte> payload)
    {
        var span = payload.Span;
        var space = span[..Math.Min(span.Length, 40)].IndexOf((byte)' ');
        return space < 20 ? (null, payload) : (Encoding.ASCII.GetString(span[..space]), payload[(space + 1)..]);
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

    /// <summary>
    /// Docker's RFC 3339 time as nanoseconds since the Unix epoch, all nine digits kept: a follower resumes with
    /// <c>since</c> at the last message it has (see <see cref="DockerLogCursor"/>), so it neither repeats nor skips one.
    /// </summary>
    public static bool TryParseUnixNanos(string text, out long nanos)
    {
        nanos = 0;
        var dot = text.IndexOf('.');
        long fraction = 0;
        var whole = text;
        if (dot > 0)
        {
            var end = dot + 1;
            while (end < text.Length && char.IsAsciiDigit(text[end])) end++;
            var digits = text[(dot + 1)..end];
            if (digits.Length is 0 or > 9) return false;
            fraction = long.Parse(digits.PadRight(9, '0'), NumberStyles.None, CultureInfo.InvariantCulture);
            whole = text[..dot] + text[end..];
        }
        if (!DateTimeOffset.TryParse(whole, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var at)
            || at < DateTimeOffset.UnixEpoch || at.Year > 2262) return false;
        nanos = (at.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) * 100 + fraction;
        return true;
    }
}
