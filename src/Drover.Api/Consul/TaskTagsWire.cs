using System.Text.Json.Serialization;

namespace Drover.Api.Consul;

/// <summary>GET/PUT /v1/drover/tasks/{taskId}/tags: a task's discovery tags (Drover's own API, camelCase).</summary>
public sealed record TaskTagsResponse
{
    public required string TaskId { get; init; }
    /// <summary>The service the task is an instance of.</summary>
    public required string Service { get; init; }
    public IReadOnlyList<string> Tags { get; init; } = [];
    /// <summary>True when the tags were set at runtime; false when they come from the app's DROVER_TAGS label.</summary>
    public bool Overridden { get; init; }
}

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    PropertyNameCaseInsensitive = true)]
[JsonSerializable(typeof(TaskTagsResponse))]
[JsonSerializable(typeof(List<string>))]
public partial class TaskTagsJsonContext : JsonSerializerContext;
