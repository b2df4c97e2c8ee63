using Microsoft.Extensions.Logging;

namespace Drover.Agent.Logs;

/// <summary>A task whose logs are sampled; once it has <see cref="Ended"/>, one last sample is taken and that is all.</summary>
public readonly record struct LogSource(string TaskId, string Sandbox, bool Ended);

/// <summary>
/// Keeps the offset index (<see cref="LogOffsetIndex"/>) of every task's stdout and stderr up to date. One
/// instance per agent, driven by one shared loop about once a second (<see cref="LogOffsetIndex.SamplePeriod"/>),
/// not by a timer per task. A new agent instance carries on with the sidecar files a previous one wrote.
/// The same loop rotates a stream that has reached its cap (<see cref="LogRotation"/>), as it is the one place
/// that already looks at every log's size each second; null <paramref name="rotation"/> never rotates.
/// Not thread-safe: only that loop calls <see cref="Sample"/>.
/// </summary>
public sealed class LogIndexRecorder(ILogger log, LogRotationPolicy? rotation = null)
{
    public static readonly IReadOnlyList<string> Streams = ["stdout", "stderr"];

    private readonly Dictionary<string, TaskLogs> _tasks = new(StringComparer.Ordinal);

    /// <summary>Samples the logs of exactly these tasks; tasks not listed any more are dropped from memory (their sidecars stay).</summary>
    public void Sample(IEnumerable<LogSource> sources, DateTimeOffset now)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var source in sources)
        {
            seen.Add(source.TaskId);
            if (!_tasks.TryGetValue(source.TaskId, out var task))
                _tasks[source.TaskId] = task = new TaskLogs([.. Streams.Select(_ => new StreamIndex())]);
            if (task.Done) continue;
            for (var i = 0; i < Streams.Count; i++) SampleStream(source, Streams[i], task.Streams[i], now);
            // A task that has ended wrote its last byte before the agent saw it end: nothing changes after this sample.
            if (source.Ended) task.Done = true;
        }
        foreach (var id in _tasks.Keys.Where(id => !seen.Contains(id)).ToList()) _tasks.Remove(id);
    }

    private void SampleStream(LogSource source, string stream, StreamIndex index, DateTimeOffset now)
    {
        var logPath = Path.Combine(source.Sandbox, stream);
        var indexPath = LogIndexFile.PathFor(source.Sandbox, stream);
        try
        {
            var file = new FileInfo(logPath);
            if (!file.Exists) return; // still staging, or a task that never had a sandbox
            var size = file.Length;
            if (rotation is not null && size >= rotation.MaxSize && LogRotation.RotateIfFull(source.Sandbox, stream, rotation) is { } mark)
            {
                // Offsets recorded so far point into what is now "stream.1": the index starts again with the empty file.
                var fresh = new LogCheckpoint(now, 0);
                LogIndexFile.Rewrite(indexPath, [fresh]);
                (index.Last, index.Count, index.Loaded, index.Failing) = (fresh, 1, true, false);
                log.LogRotated(source.TaskId, stream, mark.End - mark.Start, mark.Start);
                return;
            }
            if (!index.Loaded)
            {
                var existing = LogIndexFile.Read(indexPath);
                index.Last = existing.Count > 0 ? existing[^1] : null;
                index.Count = existing.Count;
                index.Loaded = true;
            }
            if (LogOffsetIndex.IsTruncation(index.Last, size))
            {
                var fresh = new LogCheckpoint(now, size);
                LogIndexFile.Rewrite(indexPath, [fresh]);
                (index.Last, index.Count) = (fresh, 1);
            }
            else if (LogOffsetIndex.ShouldRecord(index.Last, now, size))
            {
                var checkpoint = new LogCheckpoint(now, size);
                LogIndexFile.Append(indexPath, checkpoint);
                (index.Last, index.Count) = (checkpoint, index.Count + 1);
                if (index.Count > LogOffsetIndex.MaxCheckpoints)
                {
                    var compacted = LogOffsetIndex.Compact(LogIndexFile.Read(indexPath));
                    LogIndexFile.Rewrite(indexPath, compacted);
                    index.Count = compacted.Count;
                }
            }
            index.Failing = false;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Once per failure streak: the loop retries every second.
            if (!index.Failing) log.LogIndexFailed(source.TaskId, indexPath, e.Message);
            index.Failing = true;
        }
    }

    private sealed class TaskLogs(StreamIndex[] streams)
    {
        public StreamIndex[] Streams { get; } = streams;
        public bool Done { get; set; }
    }

    /// <summary>What is known of one sidecar without reading it again: its last checkpoint and length.</summary>
    private sealed class StreamIndex
    {
        public bool Loaded { get; set; }
        public LogCheckpoint? Last { get; set; }
        public int Count { get; set; }
        public bool Failing { get; set; }
    }
}
