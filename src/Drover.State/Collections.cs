using Drover.Core.Apps;
using Drover.Core.Cluster;
using Drover.Core.Json;

namespace Drover.State;

/// <summary>The collections the server keeps. Keys: app id; "appId@version"; task id; agent id.</summary>
public static class Collections
{
    public static readonly Collection<AppDefinition> Apps = new("apps", CoreJsonContext.Default.AppDefinition);
    public static readonly Collection<AppDefinition> AppVersions = new("app-versions", CoreJsonContext.Default.AppDefinition);
    public static readonly Collection<TaskRecord> Tasks = new("tasks", CoreJsonContext.Default.TaskRecord);
    public static readonly Collection<AgentInfo> Agents = new("agents", CoreJsonContext.Default.AgentInfo);

    public static string VersionKey(string appId, string version) => appId + "@" + version;
}
