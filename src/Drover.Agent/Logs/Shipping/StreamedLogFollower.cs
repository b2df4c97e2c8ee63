using Drover.Agent.Docker;
using Drover.Agent.Drivers;
using Drover.Core.Retry;
using Microsoft.Extensions.Logging;

namespace Drover.Agent.Logs.Shipping;

/// <summary>
/// Ships a container's output live: follows the runtime's multiplexed log stream (<see cref="IStreamedOutput"/>),
/// cuts each stream's messages into lines as <see cref="LogShipTailer"/> does for files, and queues them with the
/// time Docker stamped on them. When the stream ends while the container still runs (dockerd restarted, a proxy
/// timed out) it reconnects with a backoff at the last message it has (<see cref="DockerLogPosition"/>: since at that
/// nanosecond, the messages already read there skipped), so nothing is repeated or skipped; when the container has
/// stopped, it flushes unfinished lines and is done. Each line carries as its <see cref="ShipPosition"/> the
/// <see cref="DockerLogCursor"/> up to which every message is in lines queued so far (a message cut into several
/// lines, or a partial line of the other stream, holds it back), so a restarted agent resumes from the last line the
/// collector took and may ship a line again, never lose one.
/// </summary>
public sealed class StreamedLogFollower(
    string taskId,
    string appId,
    IStreamedOutput output,
    LogShipBuffer buffer,
    string host,
    TimeProvider time,
    ILogger log,
    int maxLineBytes = LineSplitter.DefaultMaxLineBytes)
{
    private readonly Pending _stdout = new(new LineSplitter(maxLineBytes));
    private readonly Pending _stderr = new(new LineSplitter(maxLineBytes));
    private readonly Backoff _backoff = new(time, TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(5));
    private DockerLogPosition _position = new();

    /// <summary>Where the messages read so far end; null before the first with a time.</summary>
    public DockerLogCursor? Cursor => _position.Cursor;

    /// <summary>Whether the runtime ever gave a stream: false when the container was gone before it was followed (its output is then in the sandbox files).</summary>
    public bool Connected { get; private set; }

    /// <summary>Streams opened so far (the first and every reconnect).</summary>
    public int Opens { get; private set; }

    /// <summary>Follows from an acknowledged position: since at its time, the messages shipped there skipped.</summary>
    public Task ResumeAsync(DockerLogCursor acknowledged, CancellationToken ct)
    {
        _position = new DockerLogPosition(acknowledged);
        return RunAsync(acknowledged.UnixNanos, ct);
    }

    /// <summary>
    /// Follows until the container stops or <paramref name="ct"/>. <paramref name="sinceUnixNanos"/>: where to start
    /// (0: the container's whole output, for a task first seen starting; null: only new output, for a re-adopted one).
    /// </summary>
    public async Task RunAsync(long? sinceUnixNanos, CancellationToken ct)
    {
        var since = sinceUnixNanos;
        try
        {
            while (!ct.IsCancellationRequested)
            {
                try
                {
                    Opens++;
                    await using var stream = await output.OpenOutputAsync(since, ct).ConfigureAwait(false);
                    if (stream is null) break;
                    Connected = true;
                    await foreach (var frame in DockerLogFrames.ReadAsync(stream, ct).ConfigureAwait(false))
                    {
                        Consume(frame);
                        _backoff.Reset();
                    }
                }
                catch (Exception e) when (!ct.IsCancellationRequested && e is DockerApiException or DockerProtocolException or IOException or HttpRequestException)
                {
                    if (!_backoff.Failing) log.LogShipStreamBroke(taskId, e.Message);
                }
                since = _position.Resume() ?? since;
                bool running;
                try
                {
                    running = await output.IsRunningAsync(ct).ConfigureAwait(false);
                }
                catch (Exception e) when (!ct.IsCancellationRequested && e is DockerApiException or DockerProtocolException or IOException or HttpRequestException)
                {
                    running = true; // dockerd away: try again until it answers or the task ends
                }
                if (!running) break;
                // a follow stream that ends while the container runs was cut by dockerd: reconnect, a little later each time
                await _backoff.WaitAsync(ct).ConfigureAwait(false);
            }
            Flush();
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested) { }
    }

    /// <summary>One frame of the stream: its message split off its timestamp and cut into lines (a repeat of one read before is dropped).</summary>
    public void Consume(DockerLogFrame frame)
    {
        var (mine, other) = frame.Stream switch
        {
            DockerStreamType.Stdout => (_stdout, _stderr),
            DockerStreamType.Stderr => (_stderr, _stdout),
            _ => (null, null),
        };
        var (at, text) = DockerLogFrames.SplitUnixNanos(frame.Payload);
        // before the first message: "at its time, none taken" (what came before it is not this follower's to ship)
        var before = _position.Cursor ?? (at is { } first ? new DockerLogCursor(first, 0) : null);
        if (!_position.Take(at) || mine is null || other is null) return;
        var after = _position.Cursor;
        var when = at is { } n ? DateTimeOffset.UnixEpoch.AddTicks(n / 100) : time.GetUtcNow();
        var name = frame.Stream == DockerStreamType.Stdout ? "stdout" : "stderr";
        var lines = mine.Splitter.Feed(text.Span);
        for (var i = 0; i < lines.Count; i++)
        {
            // this message is shipped whole with its last line, unless it leaves the start of another behind
            var whole = i == lines.Count - 1 && !mine.Splitter.HasPartial;
            Queue(name, when, lines[i], at is null ? null : Earlier(whole ? after : before, other.Since));
        }
        if (!mine.Splitter.HasPartial) mine.Since = null;
        else if (lines.Count > 0 || mine.Since is null) mine.Since = before;
    }

    /// <summary>The unfinished last lines of a container that has stopped.</summary>
    public void Flush()
    {
        var cursor = _position.Cursor;
        var now = cursor is { } c ? DateTimeOffset.UnixEpoch.AddTicks(c.UnixNanos / 100) : time.GetUtcNow();
        if (_stdout.Splitter.Flush() is { } o)
        {
            _stdout.Since = null;
            Queue("stdout", now, o, cursor is null ? null : Earlier(cursor, _stderr.Since));
        }
        if (_stderr.Splitter.Flush() is { } e)
        {
            _stderr.Since = null;
            Queue("stderr", now, e, cursor);
        }
    }

    private static DockerLogCursor? Earlier(DockerLogCursor? a, DockerLogCursor? b) =>
        a is not { } x ? b : b is not { } y ? a : x.NotAfter(y) ? x : y;

    /// <param name="cursor">Every message up to here is in lines queued by now; null gives no position (no timestamps).</param>
    private void Queue(string stream, DateTimeOffset at, SplitLine line, DockerLogCursor? cursor) =>
        buffer.Add(ShippedLine.JsonLine(appId, taskId, host, stream, at, line),
            cursor is { } c ? ShipPosition.AtCursor(taskId, c) : null);

    /// <summary>One stream's splitter, and the cursor before the message its unfinished line began in (null: none unfinished).</summary>
    private sealed class Pending(LineSplitter splitter)
    {
        public LineSplitter Splitter { get; } = splitter;
        public DockerLogCursor? Since { get; set; }
    }
}
