using Drover.Core.Apps;
using Drover.State;

namespace Drover.Server.Storage;

/// <summary>The store ops that make an app definition current (with its version history) or remove it.</summary>
public static class AppWrites
{
    public const int MaxStoredVersions = 50;

    public static IEnumerable<StateOp> Put(StateSnapshot s, AppDefinition app)
    {
        yield return StateOp.Put(Schema.Apps, app.Id, app);
        yield return StateOp.Put(Schema.AppVersions, Schema.VersionKey(app.Id, app.Version!), app);
        var versions = s.WithPrefix(Schema.AppVersions.Name, app.Id + "@").Select(e => e.Key).ToList();
        var excess = versions.Count + 1 - MaxStoredVersions;
        if (excess <= 0) yield break;
        var inUse = TaskIndex.OfApp(s, app.Id).Select(t => Schema.VersionKey(app.Id, t.Version)).ToHashSet();
        foreach (var key in versions.Where(k => !inUse.Contains(k)).Take(excess)) // keys sort by timestamp: oldest first
        {
            foreach (var op in DeleteVersion(key)) yield return op;
        }
    }

    /// <summary>Removes the app; versions still used by running tasks stay until the reconciler has stopped them.</summary>
    public static IEnumerable<StateOp> Delete(StateSnapshot s, string appId)
    {
        yield return StateOp.Delete(Schema.Apps, appId);
        yield return StateOp.Delete(Schema.TaskFailures, appId);
        var inUse = TaskIndex.OfApp(s, appId).Select(t => t.Version).ToHashSet();
        foreach (var e in s.WithPrefix(Schema.AppVersions.Name, appId + "@"))
        {
            if (inUse.Contains(e.Key[(appId.Length + 1)..])) continue;
            foreach (var op in DeleteVersion(e.Key)) yield return op;
        }
    }

    /// <summary>Deletes a stored version (key "appId@version") together with what is recorded about it, so nothing outlives it.</summary>
    public static IEnumerable<StateOp> DeleteVersion(string versionKey)
    {
        yield return StateOp.Delete(Schema.AppVersions, versionKey);
        yield return StateOp.Delete(Schema.RevertedVersions, versionKey);
    }
}
