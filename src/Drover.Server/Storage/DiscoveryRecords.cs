using System.Text.Json.Serialization;
using Drover.Core.Discovery;
using Drover.State;

namespace Drover.Server.Storage;

public sealed record ExternalService
{
    public required string Id { get; init; }
    public required string Name { get; init; }
    public IReadOnlyList<string> Tags { get; init; } = [];
    /// <summary>"" = the node's (server's) address.</summary>
    public string Address { get; init; } = "";
    public int Port { get; init; }
    public IReadOnlyDictionary<string, string> Meta { get; init; } = new Dictionary<string, string>();
    public bool EnableTagOverride { get; init; }
    public int WeightPassing { get; init; } = 1;
    public int WeightWarning { get; init; } = 1;
}

/// <summary>What a check runs. Exactly one of Ttl, Http, Tcp, Args is set.</summary>
public sealed record CheckDefinition
{
    /// <summary>ttl, http, tcp or script.</summary>
    public required string Type { get; init; }
    public TimeSpan? Ttl { get; init; }
    public TimeSpan Interval { get; init; }
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(10);
    public string? Http { get; init; }
    public string Method { get; init; } = "GET";
    public IReadOnlyDictionary<string, IReadOnlyList<string>> Header { get; init; } = new Dictionary<string, IReadOnlyList<string>>();
    public string? Body { get; init; }
    public bool TlsSkipVerify { get; init; }
    public string? Tcp { get; init; }
    public IReadOnlyList<string>? Args { get; init; }
    public TimeSpan? DeregisterCriticalServiceAfter { get; init; }
    public int SuccessBeforePassing { get; init; }
    public int FailuresBeforeCritical { get; init; }
    public int OutputMaxSize { get; init; } = 4096;
}

public sealed record ExternalCheck
{
    public required string CheckId { get; init; }
    public required string Name { get; init; }
    /// <summary>"" for a node check of the server's node.</summary>
    public string ServiceId { get; init; } = "";
    public string Notes { get; init; } = "";
    public HealthStatus Status { get; init; } = HealthStatus.Critical;
    public string Output { get; init; } = "";
    public required CheckDefinition Definition { get; init; }
    /// <summary>New on every (re-)registration: the check runner restarts a check when it changes, and drops results of an older one.</summary>
    public required string Generation { get; init; }
    /// <summary>
    /// A TTL check's deadline (Marathon time format): set by every TTL update, so the check runner of a new leader
    /// expires it when the old one would have. Null until the first update (the runner then gives a fresh TTL).
    /// </summary>
    public string? TtlExpiresAt { get; init; }
}

public sealed record KvValue
{
    public ulong Flags { get; init; }
    public byte[] Value { get; init; } = [];
}

public sealed record KvTombstone;

public sealed record TaskTags
{
    public IReadOnlyList<string> Tags { get; init; } = [];
}

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    UseStringEnumConverter = true)]
[JsonSerializable(typeof(ExternalService))]
[JsonSerializable(typeof(ExternalCheck))]
[JsonSerializable(typeof(KvValue))]
[JsonSerializable(typeof(KvTombstone))]
[JsonSerializable(typeof(TaskTags))]
[JsonSerializable(typeof(List<string>))]
public partial class DiscoveryJsonContext : JsonSerializerContext;
