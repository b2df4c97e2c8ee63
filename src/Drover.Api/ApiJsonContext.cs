using System.Text.Json;
using System.Text.Json.Serialization;
using Drover.Api.Agents;
using Drover.Api.Marathon;
using Drover.Core.Apps;

namespace Drover.Api;

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    PropertyNameCaseInsensitive = true,
    UseStringEnumConverter = true,
    NumberHandling = JsonNumberHandling.AllowReadingFromString)]
[JsonSerializable(typeof(AgentRegistration))]
[JsonSerializable(typeof(AgentRegistered))]
[JsonSerializable(typeof(AgentHeartbeat))]
[JsonSerializable(typeof(HeartbeatAck))]
[JsonSerializable(typeof(AgentAssignments))]
[JsonSerializable(typeof(List<TaskStatusReport>))]
[JsonSerializable(typeof(AppDefinition))]
[JsonSerializable(typeof(AppInfo))]
[JsonSerializable(typeof(AppsResponse))]
[JsonSerializable(typeof(Dictionary<string, List<AppInfo>>))]
[JsonSerializable(typeof(AppResponse))]
[JsonSerializable(typeof(TasksResponse))]
[JsonSerializable(typeof(TaskResponse))]
[JsonSerializable(typeof(VersionsResponse))]
[JsonSerializable(typeof(TaskIds))]
[JsonSerializable(typeof(LeaderResponse))]
[JsonSerializable(typeof(MessageResponse))]
[JsonSerializable(typeof(DeploymentResult))]
[JsonSerializable(typeof(QueueResponse))]
[JsonSerializable(typeof(GroupInfo))]
[JsonSerializable(typeof(GroupDryRun))]
[JsonSerializable(typeof(List<string>))]
[JsonSerializable(typeof(List<DeploymentInfo>))]
[JsonSerializable(typeof(AgentsResponse))]
[JsonSerializable(typeof(AgentView))]
[JsonSerializable(typeof(JsonElement))]
[JsonSerializable(typeof(string))]
[JsonSerializable(typeof(Dictionary<string, int>))]
[JsonSerializable(typeof(Dictionary<string, string>))]
public partial class ApiJsonContext : JsonSerializerContext;
