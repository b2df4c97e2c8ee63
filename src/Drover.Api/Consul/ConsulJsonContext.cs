using System.Text.Json.Serialization;

namespace Drover.Api.Consul;

/// <summary>
/// Source-generated JSON for Consul's wire shapes: names exactly as declared (PascalCase), nulls written
/// (Consul sends "Value": null), reading case-insensitive.
/// </summary>
[JsonSourceGenerationOptions(
    DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    PropertyNameCaseInsensitive = true,
    NumberHandling = JsonNumberHandling.AllowReadingFromString)]
[JsonSerializable(typeof(List<ConsulNode>))]
[JsonSerializable(typeof(List<ConsulCatalogService>))]
[JsonSerializable(typeof(List<ConsulServiceEntry>))]
[JsonSerializable(typeof(List<ConsulHealthCheck>))]
[JsonSerializable(typeof(List<ConsulKvPair>))]
[JsonSerializable(typeof(ConsulNodeServices))]
[JsonSerializable(typeof(Dictionary<string, ConsulAgentService>))]
[JsonSerializable(typeof(Dictionary<string, ConsulHealthCheck>))]
[JsonSerializable(typeof(Dictionary<string, List<string>>))]
[JsonSerializable(typeof(ConsulServiceRegistration))]
[JsonSerializable(typeof(ConsulCheckDefinition))]
[JsonSerializable(typeof(ConsulCheckUpdate))]
[JsonSerializable(typeof(List<string>))]
[JsonSerializable(typeof(string))]
[JsonSerializable(typeof(bool))]
public partial class ConsulJsonContext : JsonSerializerContext;
