using Drover.Agent.Docker;
using Drover.Agent.Drivers;
using Drover.Core.Retry;
using Microsoft.Extensions.Logging;

namespace Drover.Agent.Logs.Shipping;

/// <summary>
/// Ships a container's output live: follows the runtime's multiplexed log stream (<see cref="IStreamedOutput"/>),
/// cuts each stream's messages into lines as <see cref="LogShipTailer"/> does for files, and queues them with the
/// time Docker stamped on them. When the stream ends while the container still runs (dockerd restarted, a proxy
/// timed out) it reconnects with a backoff from the nanosecond after the last message it has, so nothing is
/// repeated or skipped; when the container has stopped, it flushes unfinished lines and is done. Each line carries
/// the message's timestamp as its <see cref="ShipPosition"/>, so a restarted agent resumes from the nanosecond after
/// the last one the collector took.
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
    private readonly LineSplitter _stdout = new(maxLineBytes);
    private readonly LineSplitter _stderr = new(maxLineBytes);
    private readonly Backoff _backoff = new(time, TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(5));

    /// <summary>Time of the last message seen (ns since the epoch); null before the first.</summary>
    public long? LastUnixNanos { get; private set; }

    /// <summary>Whether the runtime ever gave a stream: false when the container was gone before it was followed (its output is then in the sandbox files).</summary>
    public bool Connected { get; private set; }

    /// <summary>Streams opened so far (the first and every reconnect).</summary>
    public int Opens { get; private set; }

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
                if (LastUnixNanos is { } last) since = last + 1;
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

    /// <summary>One frame of the stream: its message split off its timestamp and cut into lines.</summary>
    public void Consume(DockerLogFrame frame)
    {
        var splitter = frame.Stream switch
        {
            DockerStreamType.Stdout => _stdout,
            DockerStreamType.Stderr => _stderr,
            _ => null,
        };
        if (splitter is null) return;
        var (stamp, text) = DockerLogFrames.SplitStamp(frame.Payload);
        long? at = stamp is not null && DockerLogFrames.TryParseUnixNanos(stamp, out var ns) ? ns : null;
        if (at is { } t && (LastUnixNanos is not { } l || t > l)) LastUnixNanos = t;
        var when = at is { } n ? DateTimeOffset.UnixEpoch.AddTicks(n / 100) : time.GetUtcNow();
        var name = frame.Stream == DockerStreamType.Stdout ? "stdout" : "stderr";
        foreach (var line in splitter.Feed((stamp is null ? frame.Payload : text).Span)) Queue(name, when, line, at);
    }

    /// <summary>The unfinished last lines of a container that has stopped.</summary>
    public void Flush()
    {
        var now = LastUnixNanos is { } n ? DateTimeOffset.UnixEpoch.AddTicks(n / 100) : time.GetUtcNow();
        if (_stdout.Flush() is { } o) Queue("stdout", now, o, LastUnixNanos);
        if (_stderr.Flush() is { } e) Queue("stderr", now, e, LastUnixNanos);
    }

    /// <param name="unixNanos">Docker's time of the message that completed the line; null (no timestamp) gives no position.</param>
    private void Queue(string stream, DateTimeOffset at, SplitLine line, long? unixNanos) =>
        buffer.Add(ShippedLine.JsonLine(appId, taskId, host, stream, at, line),
            unixNanos is { } ns ? new ShipPosition(taskId, ShipPosition.Docker, ns) : null);
}
