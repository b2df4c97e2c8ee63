using Drover.Core.Json;
using Drover.State;

namespace Drover.Server;

/// <summary>Server-only collections on top of <see cref="Collections"/>.</summary>
public static class ServerCollections
{
    /// <summary>Last failed task per app (key: app id), shown as lastTaskFailure.</summary>
    public static readonly Collection<Core.Cluster.TaskFailureRecord> TaskFailures = new("task-failures", CoreJsonContext.Default.TaskFailureRecord);

    /// <summary>
    /// Stored app versions that a revert undid (key: <see cref="Collections.VersionKey"/>, like the version itself).
    /// Written in the revert's own batch; deleted whenever the version is (see Apps.AppWrites.DeleteVersion).
    /// </summary>
    public static readonly Collection<Core.Apps.RevertedVersion> RevertedVersions = new("reverted-versions", CoreJsonContext.Default.RevertedVersion);
}
