using Drover.Agent.Docker;
using Drover.Agent.Logs;

namespace Drover.Agent.Drivers.Docker;

/// <summary>
/// Copies an ended container's stdout and stderr into the task's sandbox (the same files a process task
/// writes), with an offset index built from Docker's own timestamps, so the container can be removed and its
/// output still served (tail, since) and its last line put into the failure message, like any task's.
/// </summary>
public static class DockerLogArchive
{
    /// <summary>A checkpoint at most this often: the index stays small, and <c>since</c> is still precise to a tenth of a second.</summary>
    private static readonly TimeSpan CheckpointSpacing = TimeSpan.FromMilliseconds(100);

    /// <summary>Writes sandbox/stdout and sandbox/stderr (and their indexes); false when the container is gone.</summary>
    public static async Task<bool> ArchiveAsync(DockerClient client, string containerId, string sandbox, CancellationToken ct)
    {
        await using var stream = await client.OpenLogsAsync(containerId,
            new DockerLogQuery { Stdout = true, Stderr = true, Timestamps = true }, ct).ConfigureAwait(false);
        if (stream is null) return false;
        var outputs = new Dictionary<DockerStreamType, Output>
        {
            [DockerStreamType.Stdout] = new(sandbox, "stdout"),
            [DockerStreamType.Stderr] = new(sandbox, "stderr"),
        };
        try
        {
            await foreach (var frame in DockerLogFrames.ReadAsync(stream, ct).ConfigureAwait(false))
            {
                if (!outputs.TryGetValue(frame.Stream, out var output)) continue;
                var (at, text) = DockerLogFrames.SplitTimestamp(frame.Payload);
                await output.WriteAsync(at, text, ct).ConfigureAwait(false);
            }
            // Indexes first: whoever sees a log file finds its index complete.
            foreach (var o in outputs.Values) o.Commit();
        }
        finally
        {
            foreach (var o in outputs.Values) await o.DisposeAsync().ConfigureAwait(false);
        }
        return true;
    }

    /// <summary>One stream being archived: written to temporary files, renamed into place at the end.</summary>
    private sealed class Output(string sandbox, string stream) : IAsyncDisposable
    {
        private readonly string _log = Path.Combine(sandbox, stream);
        private readonly string _index = LogIndexFile.PathFor(sandbox, stream);
        private readonly FileStream _file = new(Path.Combine(sandbox, $".{stream}.archive"), FileMode.Create, FileAccess.Write, FileShare.Read, 16384, useAsync: true);
        private readonly List<LogCheckpoint> _checkpoints = [];
        private bool _committed;

        public async Task WriteAsync(DateTimeOffset? at, ReadOnlyMemory<byte> text, CancellationToken ct)
        {
            // "At this moment the file was this long": output written at or after the moment starts here.
            if (at is { } t && (_checkpoints.Count == 0 || t - _checkpoints[^1].At >= CheckpointSpacing) && (_checkpoints.Count == 0 || t > _checkpoints[^1].At))
                _checkpoints.Add(new LogCheckpoint(t, _file.Length));
            await _file.WriteAsync(text, ct).ConfigureAwait(false);
        }

        public void Commit()
        {
            _file.Flush();
            LogIndexFile.Rewrite(_index, LogOffsetIndex.Compact(_checkpoints));
            File.Move(_file.Name, _log, overwrite: true);
            _committed = true;
        }

        public async ValueTask DisposeAsync()
        {
            var name = _file.Name;
            await _file.DisposeAsync().ConfigureAwait(false);
            if (!_committed) File.Delete(name);
        }
    }
}
