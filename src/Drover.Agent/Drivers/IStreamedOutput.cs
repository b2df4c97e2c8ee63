namespace Drover.Agent.Drivers;

/// <summary>
/// A task handle whose output lives in its runtime's log while it runs (a Docker container's log), not in sandbox
/// files: log shipping follows that stream instead of tailing files. The sandbox files appear only once the task
/// has ended (archived there), and are not shipped again.
/// </summary>
public interface IStreamedOutput
{
    /// <summary>
    /// Opens the runtime's multiplexed stream of stdout and stderr (<see cref="Docker.DockerFrameDecoder"/> frames,
    /// each message prefixed with its RFC 3339 nanosecond time), following new output until the task stops.
    /// <paramref name="sinceUnixNanos"/>: messages at or after that moment (0: from the start); null: only new output.
    /// Null when the runtime no longer has the task.
    /// </summary>
    Task<Stream?> OpenOutputAsync(long? sinceUnixNanos, CancellationToken ct);

    /// <summary>Whether the runtime still runs the task: a follower whose stream ended reconnects while it does.</summary>
    Task<bool> IsRunningAsync(CancellationToken ct);
}
