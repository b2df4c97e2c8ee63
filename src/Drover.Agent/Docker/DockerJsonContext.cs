using System.Text.Json.Serialization;

namespace Drover.Agent.Docker;

/// <summary>Source-generated JSON for the Docker Engine API (property names as Docker writes them).</summary>
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, PropertyNameCaseInsensitive = true)]
[JsonSerializable(typeof(DockerVersion))]
[JsonSerializable(typeof(DockerErrorBody))]
[JsonSerializable(typeof(DockerProgress))]
[JsonSerializable(typeof(ImageInspect))]
[JsonSerializable(typeof(ContainerCreateBody))]
[JsonSerializable(typeof(ContainerCreated))]
[JsonSerializable(typeof(ContainerWaitResult))]
[JsonSerializable(typeof(ContainerInspect))]
[JsonSerializable(typeof(List<ContainerSummary>))]
[JsonSerializable(typeof(DockerEvent))]
[JsonSerializable(typeof(DockerStats))]
[JsonSerializable(typeof(RegistryAuth))]
[JsonSerializable(typeof(Dictionary<string, List<string>>))]
public partial class DockerJsonContext : JsonSerializerContext;
