using Drover.Core.Apps;
using Drover.State;

namespace Drover.Server.Apps;

/// <summary>The store ops that make an app definition current (with its version history) or remove it.</summary>
public static class AppWrites
{
    public const int MaxStoredVersions = 50;

    public static IEnumerable<StateOp> Put(StateSnapshot s, AppDefinition app)
    {
        yield return StateOp.Put(Collections.Apps, app.Id, app);
        yield return StateOp.Put(Collections.AppVersions, Collections.VersionKey(app.Id, app.Version!), app);
        var versions = s.WithPrefix(Collections.AppVersions.Name, app.Id + "@").Select(e => e.Key).ToList();
        var excess = versions.Count + 1 - MaxStoredVersions;
        if (excess <= 0) yield break;
        var inUse = Tasks.TaskIndex.OfApp(s, app.Id).Select(t => Collections.VersionKey(app.Id, t.Version)).ToHashSet();
        foreach (var key in versions.Where(k => !inUse.Contains(k)).Take(excess)) // keys sort by timestamp: oldest first
            yield return StateOp.Delete(Collections.AppVersions, key);
    }

    /// <summary>Removes the app; versions still used by running tasks stay until the reconciler has stopped them.</summary>
    public static IEnumerable<StateOp> Delete(StateSnapshot s, string appId)
    {
        yield return StateOp.Delete(Collections.Apps, appId);
        yield return StateOp.Delete(ServerCollections.TaskFailures, appId);
        var inUse = Tasks.TaskIndex.OfApp(s, appId).Select(t => t.Version).ToHashSet();
        foreach (var e in s.WithPrefix(Collections.AppVersions.Name, appId + "@"))
        {
            if (!inUse.Contains(e.Key[(appId.Length + 1)..])) yield return StateOp.Delete(Collections.AppVersions, e.Key);
        }
    }
}
