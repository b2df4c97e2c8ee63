using Drover.Agent.Drivers;
using Microsoft.Extensions.Logging;

namespace Drover.Agent.Logs.Shipping;

/// <summary>A task whose output is a runtime's stream (<see cref="IStreamedOutput"/>), as the tail loop sees it.</summary>
public readonly record struct StreamedSource(string TaskId, string AppId, IStreamedOutput Output, bool Ended);

/// <summary>
/// One <see cref="StreamedLogFollower"/> per running container task, started and forgotten as tasks come and go.
/// Like <see cref="LogShipTailer"/>, a task with a position in the <see cref="LogShipRegistry"/> is followed from it
/// (Docker's since is inclusive: the messages already shipped at that nanosecond are skipped); without a registry that was read, other tasks present at the
/// first poll (re-adopted after an agent restart) are followed from now on; the rest from their start. Driven by the tail loop; not thread-safe.
/// </summary>
public sealed class StreamedLogFollowers(LogShipBuffer buffer, string host, TimeProvider time, ILogger log, CancellationToken stop, LogShipRegistry? registry = null) : IAsyncDisposable
{
    private readonly Dictionary<string, Running> _followers = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stop = CancellationTokenSource.CreateLinkedTokenSource(stop);
    private bool _polledOnce;

    public void Poll(IEnumerable<StreamedSource> sources)
    {
        var first = !_polledOnce;
        _polledOnce = true;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var source in sources)
        {
            seen.Add(source.TaskId);
            // a task that ended before it was seen has its output in the sandbox files already: the file tailer ships them
            if (_followers.ContainsKey(source.TaskId) || source.Ended) continue;
            var follower = new StreamedLogFollower(source.TaskId, source.AppId, source.Output, buffer, host, time, log);
            var acked = registry?.Find(source.TaskId, ShipPosition.Docker);
            var since = first && registry?.Resumes != true ? (long?)null : 0;
            _followers[source.TaskId] = new Running(follower, Task.Run(() => acked is { } at
                ? follower.ResumeAsync(at.Cursor, _stop.Token)
                : follower.RunAsync(since, _stop.Token)));
        }
        foreach (var (id, running) in _followers.Where(f => !seen.Contains(f.Key)).ToList())
        {
            // gone from the agent (forgotten after its end was reported): its follower has finished or is cut short
            if (!running.Run.IsCompleted) continue;
            _followers.Remove(id);
        }
    }

    /// <summary>
    /// Whether the task's output is shipped from its stream; false for a task never followed, and for one whose
    /// container was gone before its stream could be opened (its output is then in the sandbox files).
    /// </summary>
    public bool Ships(string taskId) =>
        _followers.TryGetValue(taskId, out var f) && (f.Follower.Connected || !f.Run.IsCompleted);

    /// <summary>Followers running now (for tests and diagnostics).</summary>
    public int Count => _followers.Count(f => !f.Value.Run.IsCompleted);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(_followers.Values.Select(f => f.Run)).ConfigureAwait(false);
        _stop.Dispose();
    }

    private sealed record Running(StreamedLogFollower Follower, Task Run);
}
