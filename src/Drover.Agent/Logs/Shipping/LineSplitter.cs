using System.Text;

namespace Drover.Agent.Logs.Shipping;

/// <summary>A complete line out of a log stream; <see cref="Truncated"/> when it was longer than the cap and cut.</summary>
public readonly record struct SplitLine(string Text, bool Truncated);

/// <summary>
/// Cuts one stream's bytes into lines. A line longer than the cap is cut there and the rest of it, up to its
/// newline, is dropped (Docker splits such lines into 16 KiB partial messages; one cut line marked truncated is
/// easier for a collector). Bytes that are not valid UTF-8 become U+FFFD, as Docker's json-file does, so the JSON
/// is always valid. A trailing "\r" (CRLF output) is removed with the newline.
/// </summary>
public sealed class LineSplitter(int maxLineBytes = LineSplitter.DefaultMaxLineBytes)
{
    /// <summary>16 KiB, Docker's cap on one log message.</summary>
    public const int DefaultMaxLineBytes = 16 * 1024;

    private readonly byte[] _pending = new byte[maxLineBytes];
    private int _length;
    private bool _cut; // the current line was cut: skip to its newline

    /// <summary>True when a line has started but not ended yet.</summary>
    public bool HasPartial => _length > 0 || _cut;

    /// <summary>Adds bytes read from the stream; returns the lines they complete.</summary>
    public List<SplitLine> Feed(ReadOnlySpan<byte> bytes) => [.. FeedWithEnds(bytes).Select(l => l.Line)];

    /// <summary>
    /// <see cref="Feed"/>, with where each line ends in <paramref name="bytes"/>: the index just past its newline
    /// (a line cut at the cap: just past the cut), so a reader can record the byte offset to go on from.
    /// </summary>
    public List<(SplitLine Line, int End)> FeedWithEnds(ReadOnlySpan<byte> bytes)
    {
        var lines = new List<(SplitLine, int)>();
        var consumed = 0;
        while (bytes.Length > 0)
        {
            var nl = bytes.IndexOf((byte)'\n');
            var chunk = nl >= 0 ? bytes[..nl] : bytes;
            if (!_cut)
            {
                var room = _pending.Length - _length;
                if (chunk.Length > room)
                {
                    chunk[..room].CopyTo(_pending.AsSpan(_length));
                    _length += room;
                    lines.Add((new SplitLine(Decode(trimCr: false), true), consumed + room));
                    _cut = true;
                }
                else
                {
                    chunk.CopyTo(_pending.AsSpan(_length));
                    _length += chunk.Length;
                }
            }
            if (nl < 0) break;
            if (!_cut) lines.Add((new SplitLine(Decode(trimCr: true), false), consumed + nl + 1));
            _length = 0;
            _cut = false;
            bytes = bytes[(nl + 1)..];
            consumed += nl + 1;
        }
        return lines;
    }

    /// <summary>The unfinished last line of a stream that has ended, if any.</summary>
    public SplitLine? Flush()
    {
        SplitLine? line = _length > 0 && !_cut ? new SplitLine(Decode(trimCr: true), false) : null;
        _length = 0;
        _cut = false;
        return line;
    }

    /// <summary>Forgets a partial line: the file was truncated under it (rotation), its end is in "stream.1".</summary>
    public void Reset()
    {
        _length = 0;
        _cut = false;
    }

    private string Decode(bool trimCr)
    {
        var span = _pending.AsSpan(0, _length);
        if (trimCr && span.Length > 0 && span[^1] == (byte)'\r') span = span[..^1];
        // A cut can fall inside a multi-byte character: its first bytes become one U+FFFD.
        var text = Encoding.UTF8.GetString(span);
        _length = 0;
        return text;
    }
}
