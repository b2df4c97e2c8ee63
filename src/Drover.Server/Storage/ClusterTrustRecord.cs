using System.Text.Json.Serialization;
using Drover.State;

namespace Drover.Server.Storage;

/// <summary>
/// The cluster's secrets, kept in the store (key <see cref="Key"/>) so that every server of a cluster shares them:
/// the join secret agents present, and the CA the servers generate their TLS certificates from. Consul keeps its
/// built-in CA's root key in its Raft state the same way; the store's file is readable by its owner only.
/// </summary>
public sealed record ClusterTrustRecord
{
    public const string Key = "cluster";

    /// <summary>The cluster's identity (Marathon's frameworkId, Consul's datacenter node ids): made once by the first server, shared by all.</summary>
    public string? ClusterId { get; init; }
    /// <summary>The generated join secret (absent when the operator always passes --token, or never asked for one).</summary>
    public string? JoinSecret { get; init; }
    /// <summary>The generated cluster CA: its certificate and PKCS#8 private key, PEM.</summary>
    public string? CaCertificatePem { get; init; }
    public string? CaKeyPem { get; init; }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ClusterTrustRecord))]
public partial class SecurityJsonContext : JsonSerializerContext;
