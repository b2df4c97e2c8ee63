using System.Text.Json;

namespace Drover.Cli.Rollback;

/// <summary>One stored version of an app, as the history lists it.</summary>
public sealed record VersionEntry(string Version, string ConfigVersion, bool Reverted);

/// <summary>The version a rollback goes to, the current definition, and what changes.</summary>
public sealed record RollbackPlan(string AppId, string CurrentVersion, string TargetVersion, IReadOnlyList<string> Changes, IReadOnlyList<string> Skipped);

/// <summary>
/// "The previous config": the config that ran before the current one. Walks the stored versions
/// newest first, takes the latest version of each older config, and skips versions whose deployment
/// was reverted (they never ran for good) and configs identical to the current one (a revert writes
/// the old config again under a new version).
/// </summary>
public static class PreviousConfig
{
    /// <summary>Fields that differ between versions of the same config: not part of "the config".</summary>
    public static readonly IReadOnlySet<string> ServerSet = new HashSet<string>(StringComparer.Ordinal)
    {
        "version", "versionInfo", "instances", "ports", "tasksRunning", "tasksStaged", "tasksHealthy", "tasksUnhealthy",
        "deployments", "tasks", "lastTaskFailure", "readinessCheckResults",
    };

    /// <param name="current">The current definition.</param>
    /// <param name="currentConfigVersion">Its versionInfo.lastConfigChangeAt.</param>
    /// <param name="history">Every stored version.</param>
    /// <param name="definitionOf">Loads a stored version's definition.</param>
    public static async Task<(VersionEntry? Target, IReadOnlyList<string> Skipped)> PickAsync(JsonElement current, string currentConfigVersion,
        IReadOnlyList<VersionEntry> history, Func<string, Task<JsonElement>> definitionOf)
    {
        var skipped = new List<string>();
        var reverted = history.Where(v => v.Reverted).Select(v => v.Version).ToHashSet(StringComparer.Ordinal);
        var configs = history
            .Where(v => string.CompareOrdinal(v.ConfigVersion, currentConfigVersion) < 0 && string.CompareOrdinal(v.Version, currentConfigVersion) < 0)
            .GroupBy(v => v.ConfigVersion)
            .OrderByDescending(g => g.Key, StringComparer.Ordinal);
        foreach (var config in configs)
        {
            var latest = config.OrderByDescending(v => v.Version, StringComparer.Ordinal).First();
            if (config.Any(v => reverted.Contains(v.Version)))
            {
                skipped.Add($"{latest.Version} (its deployment was reverted)");
                continue;
            }
            var definition = await definitionOf(latest.Version);
            if (JsonDiff.Compare(definition, current, ServerSet).Count == 0)
            {
                skipped.Add($"{latest.Version} (the same config as the current one)");
                continue;
            }
            return (latest, skipped);
        }
        return (null, skipped);
    }
}
