namespace Drover.Agent.Logs;

/// <summary>Finds where the last N lines of a log begin, reading backwards from the end in blocks (logs can be large).</summary>
public static class LogTail
{
    private const int BlockSize = 16 * 1024;

    /// <summary>
    /// The offset at which the last <paramref name="lines"/> lines of the bytes [<paramref name="floor"/>,
    /// <paramref name="end"/>) of <paramref name="log"/> begin: <paramref name="end"/> for 0 lines,
    /// <paramref name="floor"/> when there are fewer lines. A final line without its newline counts as a line.
    /// Scans bytes for '\n', which never occurs inside a multi-byte UTF-8 character.
    /// </summary>
    public static async Task<long> StartOfLastLinesAsync(Stream log, long floor, long end, int lines, CancellationToken ct) =>
        (await FindLastLinesAsync(log, floor, end, lines, ct).ConfigureAwait(false)).Start;

    /// <summary>
    /// <see cref="StartOfLastLinesAsync"/> and how many lines were found from there: fewer than asked when the
    /// bytes hold fewer (the rest may be in an older, rotated file).
    /// </summary>
    public static async Task<(long Start, int Found)> FindLastLinesAsync(Stream log, long floor, long end, int lines, CancellationToken ct)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(lines);
        if (lines == 0 || end <= floor) return (Math.Max(floor, end), 0);
        var buffer = new byte[BlockSize];
        var newlines = 0;
        var position = end;
        while (position > floor)
        {
            var size = (int)Math.Min(BlockSize, position - floor);
            position -= size;
            log.Position = position;
            await log.ReadExactlyAsync(buffer.AsMemory(0, size), ct).ConfigureAwait(false);
            for (var i = size - 1; i >= 0; i--)
            {
                // The newline that ends the last line does not start another one.
                if (buffer[i] != (byte)'\n' || position + i == end - 1) continue;
                if (++newlines == lines) return (position + i + 1, lines);
            }
        }
        return (floor, newlines + 1);
    }
}
