using Drover.Core.Apps;
using Drover.Core.Validation;
using Drover.Server.Groups;
using Drover.State;
using Drover.Server.Storage;

namespace Drover.Server.Apps;

/// <summary>
/// Refuses a change whose dependencies close a cycle with what is stored, as Marathon does
/// ("Dependency graph has cyclic dependencies"), naming the cycle. Without this the deployment
/// order silently ignored the cycle.
/// </summary>
public static class DependencyCycles
{
    /// <param name="apps">The apps the change writes (null = removed).</param>
    /// <param name="groups">The group records the change writes.</param>
    /// <param name="detailPath">Where the 422 details put the error ("/dependencies" for one app, "/" for a group).</param>
    public static void ThrowIfCyclic(StateSnapshot s, IReadOnlyDictionary<string, AppDefinition?> apps, IReadOnlyCollection<GroupRecord> groups, string detailPath)
    {
        // most clusters have no dependencies at all: then there is no graph to build on every write
        if (apps.Values.All(a => a is null || a.Dependencies.Count == 0) && groups.All(g => g.Dependencies.Count == 0)
            && !s.All(Schema.Apps).Any(a => a.Dependencies.Count > 0) && !s.All(Schema.Groups).Any(g => g.Dependencies.Count > 0))
            return;
        var appDeps = s.All(Schema.Apps).ToDictionary(a => a.Id, a => a.Dependencies, StringComparer.Ordinal);
        foreach (var (id, app) in apps)
        {
            if (app is null) appDeps.Remove(id);
            else appDeps[id] = app.Dependencies;
        }
        var groupDeps = s.All(Schema.Groups).ToDictionary(g => g.Id, g => g.Dependencies, StringComparer.Ordinal);
        foreach (var g in groups) groupDeps[g.Id] = g.Dependencies;
        var changed = apps.Where(kv => kv.Value is not null).Select(kv => kv.Key).Concat(groups.Select(g => g.Id));
        if (DependencyGraph.FindCycle(appDeps, groupDeps, changed) is not { } cycle) return;
        var message = $"Dependency graph has cyclic dependencies: {DependencyGraph.Describe(cycle)}";
        var errors = new ValidationErrors();
        errors.Add(detailPath, message);
        throw new ValidationException(errors, message);
    }
}
