namespace Drover.Agent.Drivers;

/// <summary>Which part of a task's output to serve (the query of GET /tasks/{id}/logs, parsed).</summary>
public sealed record TaskLogRequest
{
    /// <summary>stdout or stderr.</summary>
    public string Stream { get; init; } = "stdout";
    /// <summary>
    /// Start at this byte; negative means that many bytes before the end. Only output kept in a file has byte
    /// offsets: for a live container the offset is not known and is ignored.
    /// </summary>
    public long Offset { get; init; }
    /// <summary>Only output written at or after this moment.</summary>
    public DateTimeOffset? Since { get; init; }
    /// <summary>Only the last N lines of what <see cref="Since"/> selects; null for all.</summary>
    public int? Tail { get; init; }
    /// <summary>Keep streaming new output until the task has ended and its output is drained.</summary>
    public bool Follow { get; init; }
}

/// <summary>An opened task output, ready to be copied (once) to a client.</summary>
public interface ITaskLog : IAsyncDisposable
{
    /// <summary>
    /// Writes the selected output to <paramref name="destination"/>, flushing as it goes; with
    /// <see cref="TaskLogRequest.Follow"/>, until the task has ended and its output is drained, or
    /// <paramref name="ct"/> is cancelled (the client left).
    /// </summary>
    Task CopyToAsync(Stream destination, CancellationToken ct);
}
