using Microsoft.Extensions.Logging;

namespace Drover.Agent.Logs.Shipping;

/// <summary>A task whose logs are shipped; once it has <see cref="Ended"/>, its files are read to the end once more and that is all.</summary>
public readonly record struct ShipSource(string TaskId, string AppId, string Sandbox, bool Ended);

/// <summary>
/// Follows every task's stdout and stderr files and queues their new lines as JSON lines into the
/// <see cref="LogShipBuffer"/>. Tasks write their files themselves, so shipping never slows them: the tailer only
/// reads. A file that got shorter was rotated (copytruncate, <see cref="LogRotation"/>) and is read again from 0;
/// lines written between the last poll and the rotation are in "stream.1" and not shipped.
/// Tasks present at the first poll (re-adopted after an agent restart) are followed from their current end, as
/// Fluent Bit's tail input without a position database does, so a restart does not ship their history again;
/// tasks that appear later are read from the start. Driven by one loop; not thread-safe.
/// </summary>
public sealed class LogShipTailer(LogShipBuffer buffer, string host, TimeProvider time, ILogger log, int maxLineBytes = LineSplitter.DefaultMaxLineBytes)
{
    /// <summary>How much of one stream one poll reads at most, so one noisy task cannot hold up the others.</summary>
    public const int MaxReadPerPoll = 4 * 1024 * 1024;

    private readonly Dictionary<string, TaskStreams> _tasks = new(StringComparer.Ordinal);
    private bool _polledOnce;

    public void Poll(IEnumerable<ShipSource> sources)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var first = !_polledOnce;
        _polledOnce = true;
        foreach (var source in sources)
        {
            seen.Add(source.TaskId);
            if (!_tasks.TryGetValue(source.TaskId, out var task))
            {
                _tasks[source.TaskId] = task = new TaskStreams([.. LogIndexRecorder.Streams.Select(_ => new StreamState(new LineSplitter(maxLineBytes)))]);
                if (first)
                {
                    for (var i = 0; i < task.Streams.Length; i++) task.Streams[i].Offset = SizeOf(Path.Combine(source.Sandbox, LogIndexRecorder.Streams[i]));
                }
            }
            if (task.Done) continue;
            for (var i = 0; i < task.Streams.Length; i++)
            {
                var stream = LogIndexRecorder.Streams[i];
                var state = task.Streams[i];
                ReadNew(source, stream, state);
                // a task seen ended wrote its last byte before: its unfinished last line is a line too
                if (source.Ended && state.Splitter.Flush() is { } last) Queue(source, stream, last);
            }
            if (source.Ended) task.Done = true;
        }
        foreach (var id in _tasks.Keys.Where(id => !seen.Contains(id)).ToList()) _tasks.Remove(id);
    }

    private void ReadNew(ShipSource source, string stream, StreamState state)
    {
        var path = Path.Combine(source.Sandbox, stream);
        try
        {
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1, FileOptions.None);
            var size = file.Length;
            if (size < state.Offset)
            {
                state.Offset = 0;
                state.Splitter.Reset();
            }
            if (size == state.Offset) return;
            file.Position = state.Offset;
            var toRead = (int)Math.Min(size - state.Offset, MaxReadPerPoll);
            var chunk = new byte[Math.Min(toRead, 64 * 1024)];
            while (toRead > 0)
            {
                var n = file.Read(chunk, 0, Math.Min(chunk.Length, toRead));
                if (n == 0) break;
                state.Offset += n;
                toRead -= n;
                foreach (var line in state.Splitter.Feed(chunk.AsSpan(0, n))) Queue(source, stream, line);
            }
            state.Failing = false;
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            // not created yet (staging), or a task without a sandbox file for this stream
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            if (!state.Failing) log.LogShipReadFailed(path, e.Message);
            state.Failing = true;
        }
    }

    private void Queue(ShipSource source, string stream, SplitLine line) =>
        buffer.Add(ShippedLine.JsonLine(source.AppId, source.TaskId, host, stream, time.GetUtcNow(), line));

    private static long SizeOf(string path)
    {
        try
        {
            return new FileInfo(path).Exists ? new FileInfo(path).Length : 0;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return 0;
        }
    }

    private sealed class TaskStreams(StreamState[] streams)
    {
        public StreamState[] Streams { get; } = streams;
        public bool Done { get; set; }
    }

    private sealed class StreamState(LineSplitter splitter)
    {
        public LineSplitter Splitter { get; } = splitter;
        public long Offset { get; set; }
        public bool Failing { get; set; }
    }
}
