using Drover.Agent.Docker;

namespace Drover.Agent.Drivers.Docker;

/// <summary>
/// A running container's stdout or stderr, served from the Docker daemon's log. Docker counts <c>tail</c> over
/// both streams together, so the last N lines of one stream are found by asking for more until there are
/// enough (or the log's start is reached); following then goes on from the last line served.
/// </summary>
public sealed class DockerLiveLog(DockerClient client, string containerId, TaskLogRequest request) : ITaskLog
{
    private readonly DockerStreamType _stream = request.Stream == "stderr" ? DockerStreamType.Stderr : DockerStreamType.Stdout;

    public async Task CopyToAsync(Stream destination, CancellationToken ct)
    {
        try
        {
            if (request.Tail is not { } tail)
            {
                // Everything since the moment (then new output): Docker does it in one request.
                await CopyAsync(destination, new DockerLogQuery { Follow = request.Follow, Since = request.Since }, ct).ConfigureAwait(false);
                return;
            }
            DateTimeOffset? last = null;
            if (tail > 0)
            {
                var lines = await LastLinesAsync(tail, ct).ConfigureAwait(false);
                foreach (var (at, text) in lines)
                {
                    await destination.WriteAsync(text, ct).ConfigureAwait(false);
                    last = at ?? last;
                }
                await destination.FlushAsync(ct).ConfigureAwait(false);
            }
            if (!request.Follow) return;
            // New output only: after the last line served (Docker's times are in nanoseconds; ours in 100 ns ticks),
            // or, with nothing served, from now on.
            var follow = last is { } l
                ? new DockerLogQuery { Follow = true, Since = l.AddTicks(1) }
                : tail == 0 ? new DockerLogQuery { Follow = true, Tail = 0 } : new DockerLogQuery { Follow = true, Since = request.Since };
            await CopyAsync(destination, follow, ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested) { }
        catch (IOException) when (ct.IsCancellationRequested) { }
        catch (Exception e) when (e is DockerApiException or DockerProtocolException or IOException)
        {
            // Headers are out: the stream just ends (the container went away mid-stream).
        }
    }

    private async Task CopyAsync(Stream destination, DockerLogQuery query, CancellationToken ct)
    {
        query = query with { Stdout = _stream == DockerStreamType.Stdout, Stderr = _stream == DockerStreamType.Stderr };
        await using var logs = await client.OpenLogsAsync(containerId, query, ct).ConfigureAwait(false);
        if (logs is null) return;
        await foreach (var frame in DockerLogFrames.ReadAsync(logs, ct).ConfigureAwait(false))
        {
            if (frame.Stream != _stream) continue;
            await destination.WriteAsync(frame.Payload, ct).ConfigureAwait(false);
            await destination.FlushAsync(ct).ConfigureAwait(false);
        }
    }

    /// <summary>The last <paramref name="lines"/> messages of this stream written at or after <c>since</c>, with their times.</summary>
    private async Task<List<(DateTimeOffset? At, ReadOnlyMemory<byte> Text)>> LastLinesAsync(int lines, CancellationToken ct)
    {
        var window = Math.Max(lines, 16);
        while (true)
        {
            var frames = new List<(DockerStreamType Stream, DateTimeOffset? At, ReadOnlyMemory<byte> Text)>();
            await using (var logs = await client.OpenLogsAsync(containerId,
                new DockerLogQuery { Stdout = true, Stderr = true, Tail = window, Timestamps = true }, ct).ConfigureAwait(false))
            {
                if (logs is null) return [];
                await foreach (var frame in DockerLogFrames.ReadAsync(logs, ct).ConfigureAwait(false))
                {
                    var (at, text) = DockerLogFrames.SplitTimestamp(frame.Payload);
                    frames.Add((frame.Stream, at, text));
                }
            }
            var wanted = frames.Where(f => f.Stream == _stream && (request.Since is not { } since || f.At is not { } at || at >= since))
                .Select(f => (f.At, f.Text)).ToList();
            var reachedStart = frames.Count < window;
            var beforeSince = request.Since is { } s && frames.Count > 0 && frames[0].At is { } first && first < s;
            if (wanted.Count >= lines || reachedStart || beforeSince || window >= int.MaxValue / 4)
                return wanted.Count > lines ? wanted.GetRange(wanted.Count - lines, lines) : wanted;
            window *= 4;
        }
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
