using Drover.Core.Retry;
using Drover.Core.Cluster;
using Microsoft.Extensions.Logging;

namespace Drover.Agent.Tasks;

/// <summary>
/// While the agent is cut off from the server, restarts the tasks that end by themselves — the server cannot
/// replace them, and their users should not wait for the network (Rancher's agent left them dead; Mesos and
/// Marathon would too). Each app keeps Marathon's launch backoff: the first restart waits backoffSeconds, each
/// further one of the same app version backoffFactor times longer, at most maxLaunchDelaySeconds. Only failures the
/// server has not acknowledged count: once it has, it decides (and the ended task is no longer in
/// <see cref="LocalTasks"/>). Back in touch, the delays start afresh next time.
/// </summary>
public sealed class LocalRestarts(LocalTasks tasks, TimeProvider time, ILogger log)
{
    private readonly Dictionary<string, AppDelay> _delays = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DateTimeOffset> _due = new(StringComparer.Ordinal);

    private sealed record AppDelay(int Restarts, double Seconds);

    /// <summary>
    /// One pass: when <paramref name="cutOff"/>, schedules each newly ended task (after its app's delay) and restarts
    /// those whose time has come. Returns the new incarnations started by this pass.
    /// </summary>
    public IReadOnlyList<TaskRunner> Tick(bool cutOff)
    {
        if (!cutOff)
        {
            _delays.Clear();
            _due.Clear();
            return [];
        }
        var now = time.GetUtcNow();
        var started = new List<TaskRunner>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var runner in tasks.All())
        {
            if (!runner.IsTerminal || runner.Superseded || !runner.EndedByItself || runner.EndedAt is not { } ended) continue;
            seen.Add(runner.TaskId);
            if (!_due.TryGetValue(runner.TaskId, out var due))
            {
                var delay = NextDelay(runner.Spec);
                due = ended + delay;
                _due[runner.TaskId] = due;
                log.LocalRestartScheduled(runner.TaskId, runner.Spec.AppId, due > now ? due - now : TimeSpan.Zero);
            }
            if (due > now) continue;
            if (tasks.RestartLocally(runner) is { } next) started.Add(next);
            _due.Remove(runner.TaskId);
        }
        foreach (var id in _due.Keys.Where(id => !seen.Contains(id)).ToList()) _due.Remove(id);
        return started;
    }

    /// <summary>Marathon's backoff per app version: backoffSeconds, then × backoffFactor per further failure, capped.</summary>
    private TimeSpan NextDelay(TaskSpec spec)
    {
        var key = spec.AppId + "@" + spec.Version;
        var max = Math.Max(0, spec.MaxLaunchDelaySeconds);
        // Marathon's launch delay: backoffSeconds, then × backoffFactor per restart, capped at maxLaunchDelaySeconds
        var seconds = _delays.TryGetValue(key, out var d) ? Backoff.Grow(d.Seconds, spec.BackoffFactor, max) : Math.Clamp(spec.BackoffSeconds, 0, max);
        _delays[key] = new AppDelay((d?.Restarts ?? 0) + 1, seconds);
        return TimeSpan.FromSeconds(seconds);
    }
}
