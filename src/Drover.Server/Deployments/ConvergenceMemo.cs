using System.Collections.Immutable;
using Drover.Core.Apps;
using Drover.Core.Cluster;
using Drover.Scheduling;

namespace Drover.Server.Deployments;

/// <summary>
/// What each deploying app's tasks said to its deployment at the last check, with the inputs it was computed on, so a
/// check of a deployment whose apps did not change costs a lookup per app instead of a pass over their tasks
/// (<see cref="DeploymentConvergence"/> does not depend on the time). An entry counts while the app's definition and
/// its task group are the very objects it was computed on (the store hands out the same object while nothing in it
/// changed) and the target is the same version. Memory only: a new leader starts with none.
/// </summary>
public sealed class ConvergenceMemo
{
    private sealed record Entry(AppDefinition? Current, string? TargetVersion, ImmutableSortedDictionary<string, TaskRecord>? Tasks, AppConvergence Answer);

    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    /// <summary>Answers computed (for tests: a check of unchanged apps computes none).</summary>
    public long Computed => Interlocked.Read(ref _computed);
    private long _computed;

    /// <summary>The answer for <paramref name="appId"/>, kept or computed from <paramref name="tasks"/> (null = the app has none).</summary>
    public AppConvergence Of(string appId, AppDefinition? current, AppDefinition? target, ImmutableSortedDictionary<string, TaskRecord>? tasks)
    {
        lock (_lock)
        {
            if (_entries.TryGetValue(appId, out var e) && ReferenceEquals(e.Current, current) && ReferenceEquals(e.Tasks, tasks)
                && string.Equals(e.TargetVersion, target?.Version, StringComparison.Ordinal))
                return e.Answer;
        }
        IReadOnlyList<TaskRecord> list = tasks is null ? [] : [.. tasks.Values];
        var answer = DeploymentConvergence.Of(current, target, list);
        Interlocked.Increment(ref _computed);
        lock (_lock) _entries[appId] = new Entry(current, target?.Version, tasks, answer);
        return answer;
    }

    /// <summary>Keeps only the apps of deployments still running (<paramref name="deploying"/>): entries of ended ones would pin their tasks.</summary>
    public void Retain(IReadOnlySet<string> deploying)
    {
        lock (_lock)
        {
            if (_entries.Count == 0) return;
            foreach (var id in _entries.Keys.Where(id => !deploying.Contains(id)).ToList()) _entries.Remove(id);
        }
    }
}
