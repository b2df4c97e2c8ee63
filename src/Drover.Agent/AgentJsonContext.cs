using System.Text.Json.Serialization;
using Drover.Agent.Drivers;

namespace Drover.Agent;

/// <summary>Source-generated JSON for the agent's own files and endpoint payloads.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    UseStringEnumConverter = true,
    WriteIndented = true)]
[JsonSerializable(typeof(TaskRuntimeRecord))]
[JsonSerializable(typeof(Drivers.Docker.DockerTaskRecord))]
internal partial class AgentJsonContext : JsonSerializerContext;
