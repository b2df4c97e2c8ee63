using System.Text.Json.Serialization;
using Drover.Cli.Progress;

namespace Drover.Cli;

/// <summary>The CLI's own JSON output (--output json), source-generated.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(FollowReport))]
[JsonSerializable(typeof(Rollback.RollbackPlan))]
public partial class CliJsonContext : JsonSerializerContext;
