using Drover.Agent.Docker;
using Drover.Core.Retry;

namespace Drover.Agent.Drivers.Docker;

/// <summary>
/// A running container's stdout or stderr, served from the Docker daemon's log. Docker counts <c>tail</c> over
/// both streams together, so the last N lines of one stream are found by asking for more until there are
/// enough (or the log's start is reached); following then goes on from the last line served. A follow that
/// dockerd cuts (a daemon restart, the stream closing while the container runs) is reopened from the last message
/// served (<see cref="DockerLogPosition"/>: nothing repeated, nothing skipped) after a short capped backoff, as
/// `docker logs -f` users otherwise do by hand; it ends when the container has stopped (after the rest of its
/// output) or is gone, or when the daemon stays away after the agent has seen the task end.
/// </summary>
/// <param name="isRunning">The agent's view of the task: while it runs, an unreachable daemon is waited for.</param>
public sealed class DockerLiveLog(DockerClient client, string containerId, TaskLogRequest request, Func<bool> isRunning, TimeProvider time) : ITaskLog
{
    /// <summary>Reconnect delays: a daemon restart takes about a second, so the first tries come quickly; capped so a long outage costs little.</summary>
    public static readonly TimeSpan ReconnectFirst = TimeSpan.FromMilliseconds(200);
    public static readonly TimeSpan ReconnectMax = TimeSpan.FromSeconds(5);

    private readonly DockerStreamType _stream = request.Stream == "stderr" ? DockerStreamType.Stderr : DockerStreamType.Stdout;
    private readonly DockerLogPosition _position = new();

    /// <summary>Log streams opened so far (for tests).</summary>
    public int Opens { get; private set; }

    public async Task CopyToAsync(Stream destination, CancellationToken ct)
    {
        try
        {
            DockerLogQuery first;
            if (request.Tail is not { } tail)
            {
                // Everything since the moment (then new output): Docker does it in one request.
                first = new DockerLogQuery { Since = request.Since };
            }
            else
            {
                if (tail > 0)
                {
                    foreach (var (at, text) in await LastLinesAsync(tail, ct).ConfigureAwait(false))
                    {
                        _position.Take(at);
                        await destination.WriteAsync(text, ct).ConfigureAwait(false);
                    }
                    await destination.FlushAsync(ct).ConfigureAwait(false);
                }
                // New output only: after the last line served, or, with nothing served, from now on.
                first = _position.Cursor is not null ? new DockerLogQuery { SinceUnixNanos = _position.Resume() }
                    : tail == 0 ? new DockerLogQuery { Tail = 0 } : new DockerLogQuery { Since = request.Since };
                if (!request.Follow) return;
            }
            if (!request.Follow)
            {
                await CopyAsync(destination, first, ct).ConfigureAwait(false);
                return;
            }
            await FollowAsync(destination, first, ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested) { }
        catch (IOException) when (ct.IsCancellationRequested) { }
        catch (Exception e) when (e is DockerApiException or DockerProtocolException or IOException)
        {
            // Headers are out: the stream just ends (the container went away mid-stream).
        }
    }

    private async Task FollowAsync(Stream destination, DockerLogQuery first, CancellationToken ct)
    {
        var backoff = new Backoff(time, ReconnectFirst, ReconnectMax);
        // with nothing served yet, a reconnect asks from the moment the follow began (a tail=0 again would lose the gap)
        var began = time.GetUtcNow();
        var query = first with { Follow = true };
        while (true)
        {
            try
            {
                if (!await CopyAsync(destination, query, ct, backoff.Reset).ConfigureAwait(false)) return;
            }
            catch (Exception e) when (!ct.IsCancellationRequested && e is DockerApiException or DockerProtocolException or IOException or HttpRequestException)
            {
                // cut mid-stream or not reopened: the container's state below decides
            }
            query = ResumeQuery(first, began) with { Follow = true };
            switch (await StateAsync(ct).ConfigureAwait(false))
            {
                case ContainerLogState.Gone:
                    return;
                case ContainerLogState.Stopped:
                    // a follow ends when the container stops; one cut just before has the rest still to come
                    await CopyAsync(destination, query with { Follow = false }, ct).ConfigureAwait(false);
                    return;
                case ContainerLogState.Unreachable when !isRunning():
                    return;
            }
            await backoff.WaitAsync(ct).ConfigureAwait(false);
        }
    }

    private DockerLogQuery ResumeQuery(DockerLogQuery first, DateTimeOffset began) =>
        _position.Resume() is { } since ? new DockerLogQuery { SinceUnixNanos = since }
        : first.Since is not null || first.Tail is null ? first
        : new DockerLogQuery { Since = began };

    private enum ContainerLogState { Running, Stopped, Gone, Unreachable }

    private async Task<ContainerLogState> StateAsync(CancellationToken ct)
    {
        try
        {
            return await client.InspectContainerAsync(containerId, ct).ConfigureAwait(false) switch
            {
                null => ContainerLogState.Gone,
                { State.Running: true } => ContainerLogState.Running,
                _ => ContainerLogState.Stopped,
            };
        }
        catch (Exception e) when (!ct.IsCancellationRequested && e is DockerApiException or DockerProtocolException or HttpRequestException or IOException)
        {
            return ContainerLogState.Unreachable;
        }
    }

    /// <summary>Copies this stream's messages not served before; false when the container is gone.</summary>
    private async Task<bool> CopyAsync(Stream destination, DockerLogQuery query, CancellationToken ct, Action? onMessage = null)
    {
        query = query with { Stdout = _stream == DockerStreamType.Stdout, Stderr = _stream == DockerStreamType.Stderr, Timestamps = true };
        Opens++;
        await using var logs = await client.OpenLogsAsync(containerId, query, ct).ConfigureAwait(false);
        if (logs is null) return false;
        await foreach (var frame in DockerLogFrames.ReadAsync(logs, ct).ConfigureAwait(false))
        {
            if (frame.Stream != _stream) continue;
            var (at, text) = DockerLogFrames.SplitUnixNanos(frame.Payload);
            if (!_position.Take(at)) continue;
            await destination.WriteAsync(text, ct).ConfigureAwait(false);
            await destination.FlushAsync(ct).ConfigureAwait(false);
            onMessage?.Invoke();
        }
        return true;
    }

    /// <summary>The last <paramref name="lines"/> messages of this stream written at or after <c>since</c>, with their times (ns).</summary>
    private async Task<List<(long? At, ReadOnlyMemory<byte> Text)>> LastLinesAsync(int lines, CancellationToken ct)
    {
        var window = Math.Max(lines, 16);
        var sinceNanos = request.Since is { } s ? (s.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) * 100 : (long?)null;
        while (true)
        {
            var frames = new List<(DockerStreamType Stream, long? At, ReadOnlyMemory<byte> Text)>();
            await using (var logs = await client.OpenLogsAsync(containerId,
                new DockerLogQuery { Stdout = true, Stderr = true, Tail = window, Timestamps = true }, ct).ConfigureAwait(false))
            {
                if (logs is null) return [];
                await foreach (var frame in DockerLogFrames.ReadAsync(logs, ct).ConfigureAwait(false))
                {
                    var (at, text) = DockerLogFrames.SplitUnixNanos(frame.Payload);
                    frames.Add((frame.Stream, at, text));
                }
            }
            var wanted = frames.Where(f => f.Stream == _stream && (sinceNanos is not { } since || f.At is not { } at || at >= since))
                .Select(f => (f.At, f.Text)).ToList();
            var reachedStart = frames.Count < window;
            var beforeSince = sinceNanos is { } sn && frames.Count > 0 && frames[0].At is { } first && first < sn;
            if (wanted.Count >= lines || reachedStart || beforeSince || window >= int.MaxValue / 4)
                return wanted.Count > lines ? wanted.GetRange(wanted.Count - lines, lines) : wanted;
            window *= 4;
        }
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
