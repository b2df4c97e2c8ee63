using Microsoft.Extensions.Logging;

namespace Drover.Agent.Logs.Shipping;

/// <summary>A task whose logs are shipped; once it has <see cref="Ended"/>, its files are read to the end once more and that is all.</summary>
public readonly record struct ShipSource(string TaskId, string AppId, string Sandbox, bool Ended);

/// <summary>
/// Follows every task's stdout and stderr files and queues their new lines as JSON lines into the
/// <see cref="LogShipBuffer"/>. Tasks write their files themselves, so shipping never slows them: the tailer only
/// reads. After a rotation (copytruncate, <see cref="LogRotation"/>; its ".stream.rotated" mark has a new generation)
/// the lines written between the last poll and the rotation are read from the tail of "stream.1" first, from the
/// recorded offset, then the new file from 0, so a rotation loses no line (two rotations between polls, 250 ms
/// apart, lose what went to "stream.2"). A file that got shorter without a mark is read again from 0.
/// Every queued line carries its <see cref="ShipPosition"/> (generation and the offset just past it). A task with a
/// position in the <see cref="LogShipRegistry"/> (re-adopted after an agent restart) is read on from there, with
/// the usual rotation and shrink handling, so lines written while the agent was down are shipped (at least once);
/// one without (nothing of it acknowledged yet) is read from its start when the registry was read
/// (<see cref="LogShipRegistry.Resumes"/>). Without a registry, tasks present at the first poll are followed from their current end, as Fluent Bit's tail input without a
/// position database does, so a restart does not ship their history again; tasks that appear later are read from
/// the start. Driven by one loop; not thread-safe.
/// </summary>
public sealed class LogShipTailer(LogShipBuffer buffer, string host, TimeProvider time, ILogger log, int maxLineBytes = LineSplitter.DefaultMaxLineBytes, LogShipRegistry? registry = null)
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
                for (var i = 0; i < task.Streams.Length; i++)
                {
                    var stream = LogIndexRecorder.Streams[i];
                    if (registry?.Find(source.TaskId, stream) is { } acked)
                    {
                        // ReadNew then reads the rest of stream.1 first if the generation moved on, or from 0 if the file shrank
                        task.Streams[i].Generation = acked.Generation;
                        task.Streams[i].Offset = acked.Offset;
                        continue;
                    }
                    task.Streams[i].Generation = LogRotation.ReadMark(source.Sandbox, stream).Generation;
                    if (first && registry?.Resumes != true) task.Streams[i].Offset = SizeOf(Path.Combine(source.Sandbox, stream));
                }
            }
            if (task.Done) continue;
            for (var i = 0; i < task.Streams.Length; i++)
            {
                var stream = LogIndexRecorder.Streams[i];
                var state = task.Streams[i];
                ReadNew(source, stream, state);
                // a task seen ended wrote its last byte before: its unfinished last line is a line too
                if (source.Ended && state.Splitter.Flush() is { } last) Queue(source, stream, last, new ShipPosition(source.TaskId, stream, state.Offset, state.Generation));
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
            var mark = LogRotation.ReadMark(source.Sandbox, stream);
            if (mark.Generation > state.Generation)
            {
                // rotated since the last poll: the bytes after our offset went to stream.1 (which holds [Start, End) of the old file)
                if (mark.Generation == state.Generation + 1) ReadRotatedTail(source, stream, state, mark);
                state.Offset = 0;
                state.Generation = mark.Generation;
            }
            var size = file.Length;
            if (size < state.Offset)
            {
                state.Offset = 0;
                state.Splitter.Reset();
            }
            if (size == state.Offset) return;
            file.Position = state.Offset;
            state.Offset += Feed(file, size - state.Offset, source, stream, state.Splitter, state.Generation, 0);
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

    /// <summary>
    /// Reads up to <paramref name="available"/> bytes (at most <see cref="MaxReadPerPoll"/>) from the file's position
    /// into lines; returns how many were read. <paramref name="fileStart"/>: the offset of the file's first byte in the
    /// stream of <paramref name="generation"/> (non-zero for "stream.1" cut to its tail), for the lines' positions.
    /// </summary>
    private long Feed(FileStream file, long available, ShipSource source, string stream, LineSplitter splitter, long generation, long fileStart)
    {
        var at = fileStart + file.Position;
        var toRead = (int)Math.Min(available, MaxReadPerPoll);
        var chunk = new byte[Math.Max(1, Math.Min(toRead, 64 * 1024))];
        long read = 0;
        while (toRead > 0)
        {
            var n = file.Read(chunk, 0, Math.Min(chunk.Length, toRead));
            if (n == 0) break;
            read += n;
            toRead -= n;
            foreach (var (line, end) in splitter.FeedWithEnds(chunk.AsSpan(0, n)))
                Queue(source, stream, line, new ShipPosition(source.TaskId, stream, at + end, generation));
            at += n;
        }
        return read;
    }

    /// <summary>The lines written after our offset and before the rotation, from "stream.1"; its last unfinished line continues in the new file.</summary>
    private void ReadRotatedTail(ShipSource source, string stream, StreamState state, LogRotationMark mark)
    {
        try
        {
            using var rotated = new FileStream(LogRotation.RotatedPath(source.Sandbox, stream, 1), FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1, FileOptions.None);
            // a burst over the cap kept only [Start, End): what we had not read before Start is gone
            var from = Math.Max(0, state.Offset - mark.Start);
            if (state.Offset < mark.Start) state.Splitter.Reset();
            if (from >= rotated.Length) return;
            rotated.Position = from;
            Feed(rotated, rotated.Length - from, source, stream, state.Splitter, state.Generation, mark.Start);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            state.Splitter.Reset(); // rotated away already (max files 1): the rest of that line is gone
        }
    }

    private void Queue(ShipSource source, string stream, SplitLine line, ShipPosition position) =>
        buffer.Add(ShippedLine.JsonLine(source.AppId, source.TaskId, host, stream, time.GetUtcNow(), line), position);

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
        /// <summary>The rotation generation of the file <see cref="Offset"/> is in (see <see cref="LogRotation.ReadMark"/>).</summary>
        public long Generation { get; set; }
        public bool Failing { get; set; }
    }
}
