using Drover.Agent.Drivers;

namespace Drover.Agent.Logs;

/// <summary>
/// A task's stdout or stderr kept as a file in its sandbox (process tasks write them directly; the Docker
/// driver archives a container's output there when it ends). <c>since</c> is looked up in the offset index
/// beside the file (<see cref="LogOffsetIndex"/>); <c>tail</c> is counted back from the end, into the rotated
/// files ("stdout.1" …, see <see cref="LogRotation"/>) when the current one holds fewer lines; a follower carries on
/// through a rotation from where it was.
/// </summary>
public sealed class SandboxLog : ITaskLog
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(200);

    private readonly string _file;
    private readonly TaskLogRequest _request;
    private readonly Func<bool> _isRunning;
    private readonly TimeProvider _time;
    private readonly FileStream _input;

    private SandboxLog(string file, FileStream input, TaskLogRequest request, Func<bool> isRunning, TimeProvider time)
    {
        _file = file;
        _input = input;
        _request = request;
        _isRunning = isRunning;
        _time = time;
    }

    /// <summary>The log <paramref name="request"/> selects in <paramref name="sandbox"/>, or null when there is no such file.</summary>
    public static SandboxLog? Open(string sandbox, TaskLogRequest request, Func<bool> isRunning, TimeProvider time)
    {
        var file = Path.Combine(sandbox, request.Stream);
        try
        {
            var input = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 16384, useAsync: true);
            return new SandboxLog(file, input, request, isRunning, time);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
    }

    public async Task CopyToAsync(Stream destination, CancellationToken ct)
    {
        var buffer = new byte[16384];
        try
        {
            var sandbox = Path.GetDirectoryName(_file)!;
            // Read before the current file's length: a rotation in between is then seen by the follower below.
            var generation = LogRotation.ReadMark(sandbox, _request.Stream).Generation;
            var (start, end, older) = await StartOfLogAsync(ct).ConfigureAwait(false);
            foreach (var segment in older) await CopySegmentAsync(segment, destination, buffer, ct).ConfigureAwait(false);
            _input.Position = start;
            // Without follow the answer is the log as it was when asked: lines written while it is sent would make
            // "--tail 3" answer 4 lines (the start was counted back from that end).
            var remaining = _request.Follow ? long.MaxValue : end - start;
            while (true)
            {
                // Check for the end before reading: whatever a finished task wrote is then read in full.
                var ended = !_request.Follow || !_isRunning();
                var position = _input.Position;
                var n = remaining == 0 ? 0 : await _input.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, remaining)), ct).ConfigureAwait(false);
                if (_request.Follow && LogRotation.ReadMark(sandbox, _request.Stream) is var mark && mark.Generation != generation)
                {
                    // Rotated under us (before or during that read): what followed our position is now in "stream.1".
                    // After more than one rotation the bytes in between are gone from under the follower too.
                    var from = mark.Generation == generation + 1 ? Math.Max(0, position - mark.Start) : 0;
                    var rotated = LogRotation.RotatedPath(sandbox, _request.Stream, 1);
                    if (File.Exists(rotated)) await CopySegmentAsync(new Segment(rotated, from, long.MaxValue), destination, buffer, ct).ConfigureAwait(false);
                    generation = mark.Generation;
                    _input.Position = 0;
                    continue;
                }
                if (n > 0)
                {
                    remaining -= n;
                    await destination.WriteAsync(buffer.AsMemory(0, n), ct).ConfigureAwait(false);
                    await destination.FlushAsync(ct).ConfigureAwait(false);
                    continue;
                }
                if (ended) return;
                await Task.Delay(PollInterval, _time, ct).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested) { }
        catch (IOException) when (ct.IsCancellationRequested) { }
    }

    /// <summary>Bytes [Start, End) of a rotated file (End past its length: to its end).</summary>
    private readonly record struct Segment(string Path, long Start, long End);

    private static async Task CopySegmentAsync(Segment segment, Stream destination, byte[] buffer, CancellationToken ct)
    {
        FileStream input;
        try
        {
            input = new FileStream(segment.Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1, useAsync: true);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return; // dropped by a rotation meanwhile
        }
        await using (input.ConfigureAwait(false))
        {
            input.Position = Math.Min(segment.Start, input.Length);
            var remaining = Math.Min(segment.End, input.Length) - input.Position;
            while (remaining > 0)
            {
                var n = await input.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, remaining)), ct).ConfigureAwait(false);
                if (n == 0) break;
                remaining -= n;
                await destination.WriteAsync(buffer.AsMemory(0, n), ct).ConfigureAwait(false);
            }
            await destination.FlushAsync(ct).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Where serving starts (after the offset and the <c>since</c> offset, then back <c>tail</c> lines from the end), that
    /// end, and the parts of rotated files to serve first, oldest first. Rotated files count only for a read of the whole
    /// log or of its last lines: offsets and the offset index (<c>since</c>) are of the current file.
    /// </summary>
    private async Task<(long Start, long End, IReadOnlyList<Segment> Older)> StartOfLogAsync(CancellationToken ct)
    {
        var end = _input.Length;
        var offset = _request.Offset;
        var start = offset >= 0 ? Math.Min(offset, end) : Math.Max(0, end + offset);
        var older = new List<Segment>();
        var wholeHistory = offset == 0 && _request.Since is null;
        if (_request.Since is { } moment)
        {
            // The modification time after the length: a write in between then only makes the answer include more.
            var lastWrite = new DateTimeOffset(File.GetLastWriteTimeUtc(_file), TimeSpan.Zero);
            var index = LogIndexFile.Read(LogIndexFile.PathFor(Path.GetDirectoryName(_file)!, _request.Stream));
            start = Math.Max(start, LogOffsetIndex.StartOffset(index, moment, end, lastWrite));
        }
        if (_request.Tail is { } lines)
        {
            var (tailStart, found) = await LogTail.FindLastLinesAsync(_input, start, end, lines, ct).ConfigureAwait(false);
            start = tailStart;
            if (wholeHistory && found < lines && start == 0)
                await AddRotatedTailAsync(older, lines - found, ct).ConfigureAwait(false);
        }
        else if (wholeHistory)
        {
            foreach (var rotated in LogRotation.RotatedFiles(Path.GetDirectoryName(_file)!, _request.Stream).Reverse())
                older.Add(new Segment(rotated, 0, new FileInfo(rotated).Length));
        }
        return (start, end, older);
    }

    /// <summary>The last <paramref name="lines"/> lines from the rotated files, newest file first, into <paramref name="older"/> oldest first.</summary>
    private async Task AddRotatedTailAsync(List<Segment> older, int lines, CancellationToken ct)
    {
        foreach (var rotated in LogRotation.RotatedFiles(Path.GetDirectoryName(_file)!, _request.Stream))
        {
            if (lines <= 0) break;
            try
            {
                var input = new FileStream(rotated, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1, useAsync: true);
                await using (input.ConfigureAwait(false))
                {
                    var length = input.Length;
                    var (from, found) = await LogTail.FindLastLinesAsync(input, 0, length, lines, ct).ConfigureAwait(false);
                    older.Insert(0, new Segment(rotated, from, length));
                    lines -= found;
                }
            }
            catch (FileNotFoundException) { break; }
        }
    }

    public ValueTask DisposeAsync() => _input.DisposeAsync();
}
