using Drover.Core.Apps;

namespace Drover.Scheduling;

/// <summary>Step order: apps start after the apps they depend on; removals run in reverse dependency order.</summary>
public static class StepOrder
{
    /// <param name="targets">Each affected app's target definition (null = the app is removed).</param>
    /// <param name="actions">The action shown for each app (absent = RestartApplication).</param>
    /// <param name="extraDependencies">Dependencies an app inherits from its groups (app ids).</param>
    public static IReadOnlyList<DeploymentStep> Steps(IReadOnlyDictionary<string, AppDefinition?> targets, IReadOnlyDictionary<string, string> actions,
        Func<string, IEnumerable<string>>? extraDependencies = null)
    {
        var depth = new Dictionary<string, int>();
        int Depth(string id, HashSet<string> visiting)
        {
            if (depth.TryGetValue(id, out var d)) return d;
            if (!visiting.Add(id)) return 0; // a cycle: writes that close one are refused (DependencyCycles), but never loop on one stored earlier
            var own = targets.TryGetValue(id, out var t) && t is not null ? t.Dependencies : [];
            var deps = own.Concat(extraDependencies?.Invoke(id) ?? []).Where(x => x != id && targets.ContainsKey(x)).Distinct();
            d = deps.Select(x => Depth(x, visiting) + 1).DefaultIfEmpty(0).Max();
            visiting.Remove(id);
            return depth[id] = d;
        }
        foreach (var id in targets.Keys) Depth(id, []);
        var starts = targets.Where(kv => kv.Value is not null).GroupBy(kv => depth[kv.Key]).OrderBy(g => g.Key);
        var stops = targets.Where(kv => kv.Value is null).GroupBy(kv => depth[kv.Key]).OrderByDescending(g => g.Key);
        var steps = new List<DeploymentStep>();
        foreach (var g in stops.Concat(starts))
        {
            steps.Add(new DeploymentStep
            {
                Actions = g.Select(kv => new DeploymentAction(actions.TryGetValue(kv.Key, out var a) ? a : DeploymentAction.Restart, kv.Key))
                    .OrderBy(a => a.App, StringComparer.Ordinal).ToList(),
            });
        }
        return steps;
    }
}
