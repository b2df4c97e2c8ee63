using Drover.Core.Json;
using Drover.State;

namespace Drover.Server;

/// <summary>Server-only collections on top of <see cref="Collections"/>.</summary>
public static class ServerCollections
{
    /// <summary>Last failed task per app (key: app id), shown as lastTaskFailure.</summary>
    public static readonly Collection<Core.Cluster.TaskFailureRecord> TaskFailures = new("task-failures", CoreJsonContext.Default.TaskFailureRecord);
}
