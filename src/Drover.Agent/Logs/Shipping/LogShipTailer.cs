using Microsoft.Extensions.Logging;

namespace Drover.Agent.Logs.Shipping;

/// <summary>A task whose logs are shipped; once it has <see cref="Ended"/>, its files are read to the end once more and that is all.</summary>
public readonly record struct ShipSource(string TaskId, string AppId, string Sandbox, bool Ended);

/// <summary>
/// Follows every task's stdout and stderr files and queues their new lines as JSON lines into the
/// <see cref="LogShipBuffer"/>. Tasks write their files themselves, so shipping never slows them: the tailer only
/// reads. After rotations (copytruncate, <see cref="LogRotation"/>; its ".stream.rotated" marks have newer
/// generations) the unread rest of every rotated file still kept is read, oldest first, from the recorded position
/// (the file of generation g is "stream.(G − g)" after rotation G), then the new file from 0, so rotations the
/// tailer did not see (several within one poll, or while the agent was down) lose no line. What was rotated off the
/// end (deleted by --log-max-files) or cut by a burst before it was read is counted as lost (bytes, a warning naming
/// the task) rather than silently. A file that got shorter without a mark is read again from 0.
/// Every queued line carries its <see cref="ShipPosition"/> (generation and the offset just past it). A task with a
/// position in the <see cref="LogShipRegistry"/> (re-adopted after an agent restart) is read on from there, with
/// the usual rotation and shrink handling, so lines written while the agent was down are shipped (at least once);
/// one without (nothing of it acknowledged yet) is read from its start when the registry was read
/// (<see cref="LogShipRegistry.Resumes"/>). Without a registry, tasks present at the first poll are followed from their current end, as Fluent Bit's tail input without a
/// position database does, so a restart does not ship their history again; tasks that appear later are read from
/// the start. Driven by one loop; not thread-safe.
/// </summary>
public sealed class LogShipTailer(LogShipBuffer buffer, string host, TimeProvider time, ILogger log, int maxLineBytes = LineSplitter.DefaultMaxLineBytes,
    LogShipRegistry? registry = null, Action<long>? bytesLost = null)
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
                        // ReadNew then reads the rest of the rotated files first if the generation moved on, or from 0 if the file shrank
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
            long budget = MaxReadPerPoll;
            // each turn reads one file: the rotated ones not finished yet, oldest first, then the live one
            for (var turn = 0; turn < 2 * LogRotation.MarksKept && budget > 0; turn++)
            {
                // opened before the marks are read: a mark is written before its truncation, so a live file whose mark
                // still says our generation holds our bytes (a rotation during the read only shortens it)
                using var live = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1, FileOptions.None);
                var marks = LogRotation.ReadMarks(source.Sandbox, stream);
                var current = marks.Count > 0 ? marks[0].Generation : 0;
                if (state.Generation >= current)
                {
                    ReadLive(live, source, stream, state, budget);
                    break;
                }
                if (!ReadRotated(source, stream, state, marks, current, ref budget)) continue;
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

    private void ReadLive(FileStream file, ShipSource source, string stream, StreamState state, long budget)
    {
        var size = file.Length;
        if (size < state.Offset)
        {
            state.Offset = 0;
            state.Splitter.Reset();
        }
        if (size == state.Offset) return;
        file.Position = state.Offset;
        state.Offset += Feed(file, Math.Min(size - state.Offset, budget), source, stream, state.Splitter, state.Generation, 0);
    }

    /// <summary>
    /// One step through the files rotated since <paramref name="state"/>'s generation: reads the rest of its file
    /// (while it is kept: "stream.(current − generation)", holding [Start, End) of it), or, for files deleted by the
    /// cap, counts what was not read as lost and goes on at the oldest file kept. False when a rotation happened
    /// meanwhile (the files moved): the caller looks again.
    /// </summary>
    private bool ReadRotated(ShipSource source, string stream, StreamState state, IReadOnlyList<LogRotationMark> marks, long current, ref long budget)
    {
        var kept = LogRotation.RotatedFiles(source.Sandbox, stream).Count;
        if (current - state.Generation > kept)
        {
            // the files of generations up to current − kept − 1 were rotated off the end before we read them
            var oldestKept = current - kept;
            var (lost, unknown) = (0L, false);
            for (var g = state.Generation; g < oldestKept; g++)
            {
                if (MarkOf(marks, g + 1) is { } m) lost += Math.Max(0, m.End - (g == state.Generation ? state.Offset : 0));
                else unknown = true;
            }
            Lost(source, stream, lost, unknown, $"{oldestKept - state.Generation} rotated file(s) were deleted (--log-max-files)");
            state.Splitter.Reset();
            state.Generation = oldestKept;
            state.Offset = 0;
            return true;
        }
        var n = (int)(current - state.Generation);
        FileStream rotated;
        try
        {
            rotated = new FileStream(LogRotation.RotatedPath(source.Sandbox, stream, n), FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1, FileOptions.None);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return false; // moved or deleted since we counted: look again
        }
        using (rotated)
        {
            if (LogRotation.ReadMark(source.Sandbox, stream).Generation != current) return false;
            // a mark not remembered (a mark file from before the history was kept): the file is taken as whole
            var start = MarkOf(marks, state.Generation + 1)?.Start ?? 0;
            if (state.Offset < start)
            {
                // a burst over the cap kept only [Start, End): what we had not read before Start is gone
                Lost(source, stream, start - state.Offset, false, "a burst over --log-max-size was cut at rotation");
                state.Splitter.Reset();
                state.Offset = start;
            }
            var from = state.Offset - start;
            if (from < rotated.Length)
            {
                rotated.Position = from;
                var read = Feed(rotated, Math.Min(rotated.Length - from, budget), source, stream, state.Splitter, state.Generation, start);
                state.Offset += read;
                budget -= read;
                if (from + read < rotated.Length) return true; // the rest next poll
            }
        }
        // this generation is read: its last unfinished line continues at the start of the next one
        state.Generation++;
        state.Offset = 0;
        return true;
    }

    /// <summary>
    /// Reads up to <paramref name="available"/> bytes (at most <see cref="MaxReadPerPoll"/>) from the file's position
    /// into lines; returns how many were read. <paramref name="fileStart"/>: the offset of the file's first byte in the
    /// stream of <paramref name="generation"/> (non-zero for a rotated file cut to its tail), for the lines' positions.
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

    private static LogRotationMark? MarkOf(IReadOnlyList<LogRotationMark> marks, long generation)
    {
        foreach (var m in marks) if (m.Generation == generation) return m;
        return null;
    }

    private void Lost(ShipSource source, string stream, long bytes, bool unknown, string why)
    {
        if (bytes <= 0 && !unknown) return;
        bytesLost?.Invoke(bytes);
        log.LogShipBytesLost(source.TaskId, stream, bytes, unknown ? " (and more, of rotations no longer remembered)" : "", why);
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
