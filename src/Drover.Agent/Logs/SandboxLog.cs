using Drover.Agent.Drivers;

namespace Drover.Agent.Logs;

/// <summary>
/// A task's stdout or stderr kept as a file in its sandbox (process tasks write them directly; the Docker
/// driver archives a container's output there when it ends). <c>since</c> is looked up in the offset index
/// beside the file (<see cref="LogOffsetIndex"/>); <c>tail</c> is counted back from the end.
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
            var (start, end) = await StartOfLogAsync(ct).ConfigureAwait(false);
            _input.Position = start;
            // Without follow the answer is the log as it was when asked: lines written while it is sent would make
            // "--tail 3" answer 4 lines (the start was counted back from that end).
            var remaining = _request.Follow ? long.MaxValue : end - start;
            while (true)
            {
                // Check for the end before reading: whatever a finished task wrote is then read in full.
                var ended = !_request.Follow || !_isRunning();
                var n = remaining == 0 ? 0 : await _input.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, remaining)), ct).ConfigureAwait(false);
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

    /// <summary>Where serving starts (after the offset and the <c>since</c> offset, then back <c>tail</c> lines from the end), and that end.</summary>
    private async Task<(long Start, long End)> StartOfLogAsync(CancellationToken ct)
    {
        var end = _input.Length;
        var offset = _request.Offset;
        var start = offset >= 0 ? Math.Min(offset, end) : Math.Max(0, end + offset);
        if (_request.Since is { } moment)
        {
            // The modification time after the length: a write in between then only makes the answer include more.
            var lastWrite = new DateTimeOffset(File.GetLastWriteTimeUtc(_file), TimeSpan.Zero);
            var index = LogIndexFile.Read(LogIndexFile.PathFor(Path.GetDirectoryName(_file)!, _request.Stream));
            start = Math.Max(start, LogOffsetIndex.StartOffset(index, moment, end, lastWrite));
        }
        if (_request.Tail is { } lines) start = await LogTail.StartOfLastLinesAsync(_input, start, end, lines, ct).ConfigureAwait(false);
        return (start, end);
    }

    public ValueTask DisposeAsync() => _input.DisposeAsync();
}
