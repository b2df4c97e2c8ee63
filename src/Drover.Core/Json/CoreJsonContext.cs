using System.Text.Json;
using System.Text.Json.Serialization;
using Drover.Core.Apps;
using Drover.Core.Cluster;

namespace Drover.Core.Json;

/// <summary>Source-generated JSON for domain records (storage and wire share Marathon's camelCase shape).</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    UseStringEnumConverter = true,
    NumberHandling = JsonNumberHandling.AllowReadingFromString)]
[JsonSerializable(typeof(AppDefinition))]
[JsonSerializable(typeof(AgentInfo))]
[JsonSerializable(typeof(TaskRecord))]
[JsonSerializable(typeof(TaskSpec))]
[JsonSerializable(typeof(TaskFailureRecord))]
[JsonSerializable(typeof(DeploymentRecord))]
[JsonSerializable(typeof(RevertedVersion))]
[JsonSerializable(typeof(GroupRecord))]
[JsonSerializable(typeof(HealthCheckDefinition))]
[JsonSerializable(typeof(List<AppDefinition>))]
[JsonSerializable(typeof(List<TaskRecord>))]
[JsonSerializable(typeof(JsonElement))]
public partial class CoreJsonContext : JsonSerializerContext;
