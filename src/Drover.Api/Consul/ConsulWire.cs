using System.Text.Json.Serialization;

namespace Drover.Api.Consul;

// Consul's /v1 response shapes, field for field (PascalCase, "ID"-style acronyms). Drover serves them on the
// server port so existing Consul clients (python-consul, consul-template, Go api) work unchanged.

public sealed record ConsulWeights
{
    public int Passing { get; init; } = 1;
    public int Warning { get; init; } = 1;
}

/// <summary>A node as in /v1/catalog/nodes and the "Node" of /v1/health/service entries.</summary>
public sealed record ConsulNode
{
    [JsonPropertyName("ID")] public string Id { get; init; } = "";
    public required string Node { get; init; }
    public required string Address { get; init; }
    public string Datacenter { get; init; } = "dc1";
    public IReadOnlyDictionary<string, string> TaggedAddresses { get; init; } = new Dictionary<string, string>();
    public IReadOnlyDictionary<string, string> Meta { get; init; } = new Dictionary<string, string>();
    public long CreateIndex { get; init; }
    public long ModifyIndex { get; init; }
}

/// <summary>A service as the agent sees it: /v1/agent/services values, "Service" of health entries, catalog/node services.</summary>
public sealed record ConsulAgentService
{
    [JsonPropertyName("ID")] public required string Id { get; init; }
    public required string Service { get; init; }
    public IReadOnlyList<string> Tags { get; init; } = [];
    public IReadOnlyDictionary<string, string> Meta { get; init; } = new Dictionary<string, string>();
    public int Port { get; init; }
    public string Address { get; init; } = "";
    public ConsulWeights Weights { get; init; } = new();
    public bool EnableTagOverride { get; init; }
    public string Datacenter { get; init; } = "dc1";
    public long CreateIndex { get; init; }
    public long ModifyIndex { get; init; }
}

/// <summary>One row of /v1/catalog/service/&lt;name&gt;.</summary>
public sealed record ConsulCatalogService
{
    [JsonPropertyName("ID")] public string Id { get; init; } = "";
    public required string Node { get; init; }
    public required string Address { get; init; }
    public string Datacenter { get; init; } = "dc1";
    public IReadOnlyDictionary<string, string> TaggedAddresses { get; init; } = new Dictionary<string, string>();
    public IReadOnlyDictionary<string, string> NodeMeta { get; init; } = new Dictionary<string, string>();
    [JsonPropertyName("ServiceID")] public required string ServiceId { get; init; }
    public required string ServiceName { get; init; }
    public IReadOnlyList<string> ServiceTags { get; init; } = [];
    public string ServiceAddress { get; init; } = "";
    public int ServicePort { get; init; }
    public IReadOnlyDictionary<string, string> ServiceMeta { get; init; } = new Dictionary<string, string>();
    public bool ServiceEnableTagOverride { get; init; }
    public ConsulWeights ServiceWeights { get; init; } = new();
    public long CreateIndex { get; init; }
    public long ModifyIndex { get; init; }
}

/// <summary>A health check as in /v1/health/* and /v1/agent/checks.</summary>
public sealed record ConsulHealthCheck
{
    public required string Node { get; init; }
    [JsonPropertyName("CheckID")] public required string CheckId { get; init; }
    public required string Name { get; init; }
    /// <summary>passing, warning or critical.</summary>
    public required string Status { get; init; }
    public string Notes { get; init; } = "";
    public string Output { get; init; } = "";
    [JsonPropertyName("ServiceID")] public string ServiceId { get; init; } = "";
    public string ServiceName { get; init; } = "";
    public IReadOnlyList<string> ServiceTags { get; init; } = [];
    /// <summary>ttl, http, tcp, script, or "" for node checks such as serfHealth.</summary>
    public string Type { get; init; } = "";
    public IReadOnlyDictionary<string, string> Definition { get; init; } = new Dictionary<string, string>();
    public long CreateIndex { get; init; }
    public long ModifyIndex { get; init; }
}

/// <summary>One row of /v1/health/service/&lt;name&gt;.</summary>
public sealed record ConsulServiceEntry
{
    public required ConsulNode Node { get; init; }
    public required ConsulAgentService Service { get; init; }
    public IReadOnlyList<ConsulHealthCheck> Checks { get; init; } = [];
}

/// <summary>/v1/catalog/node/&lt;node&gt;.</summary>
public sealed record ConsulNodeServices
{
    public required ConsulNode Node { get; init; }
    public IReadOnlyDictionary<string, ConsulAgentService> Services { get; init; } = new Dictionary<string, ConsulAgentService>();
}

/// <summary>A KV entry; Value is base64 (null when empty). Session is omitted when the key is not locked.</summary>
public sealed record ConsulKvPair
{
    public long CreateIndex { get; init; }
    public long ModifyIndex { get; init; }
    public long LockIndex { get; init; }
    public required string Key { get; init; }
    public ulong Flags { get; init; }
    public string? Value { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? Session { get; init; }

    /// <summary>The decoded value bytes (empty when Value is null).</summary>
    public byte[] DecodedValue() => Value is null ? [] : Convert.FromBase64String(Value);
}

/// <summary>
/// Body of PUT /v1/agent/service/register as Drover's client sends it. The server also accepts Consul's
/// lowercase and snake_case spellings (python-consul sends "name", "check", "ttl").
/// </summary>
public sealed record ConsulServiceRegistration
{
    public required string Name { get; init; }
    [JsonPropertyName("ID")] public string? Id { get; init; }
    public IReadOnlyList<string>? Tags { get; init; }
    public string? Address { get; init; }
    public int? Port { get; init; }
    public IReadOnlyDictionary<string, string>? Meta { get; init; }
    public bool? EnableTagOverride { get; init; }
    public ConsulWeights? Weights { get; init; }
    public ConsulCheckDefinition? Check { get; init; }
    public IReadOnlyList<ConsulCheckDefinition>? Checks { get; init; }
}

/// <summary>A check in a service registration (or /v1/agent/check/register). Durations are Go strings: "10s", "1m".</summary>
public sealed record ConsulCheckDefinition
{
    [JsonPropertyName("CheckID")] public string? CheckId { get; init; }
    public string? Name { get; init; }
    public string? Notes { get; init; }
    public string? Status { get; init; }
    [JsonPropertyName("ServiceID")] public string? ServiceId { get; init; }
    public IReadOnlyList<string>? Args { get; init; }
    [JsonPropertyName("HTTP")] public string? Http { get; init; }
    public string? Method { get; init; }
    public IReadOnlyDictionary<string, IReadOnlyList<string>>? Header { get; init; }
    public string? Body { get; init; }
    [JsonPropertyName("TLSSkipVerify")] public bool? TlsSkipVerify { get; init; }
    [JsonPropertyName("TCP")] public string? Tcp { get; init; }
    [JsonPropertyName("TTL")] public string? Ttl { get; init; }
    public string? Interval { get; init; }
    public string? Timeout { get; init; }
    public string? DeregisterCriticalServiceAfter { get; init; }
    public int? SuccessBeforePassing { get; init; }
    public int? FailuresBeforeCritical { get; init; }
}

/// <summary>Body of PUT /v1/agent/check/update/&lt;id&gt;.</summary>
public sealed record ConsulCheckUpdate
{
    public string? Status { get; init; }
    public string? Output { get; init; }
}
