using System.Text.Json.Serialization;

namespace Drover.Api.History;

/// <summary>
/// GET /v1/drover/apps/{appId}/history: an app's stored versions, newest first, with which of them a revert undid.
/// Drover's own API (camelCase); Marathon's /v2/apps/{id}/versions stays exactly as Marathon shapes it.
/// </summary>
public sealed record AppHistory
{
    public required string AppId { get; init; }
    /// <summary>The current version (a scale or restart makes a new one).</summary>
    public required string Version { get; init; }
    /// <summary>The version whose configuration is current (versionInfo.lastConfigChangeAt).</summary>
    public required string LastConfigChangeAt { get; init; }
    public IReadOnlyList<AppHistoryVersion> Versions { get; init; } = [];
}

/// <summary>One stored version. Versions sharing <see cref="LastConfigChangeAt"/> have the same configuration (only scaled).</summary>
public sealed record AppHistoryVersion
{
    public required string Version { get; init; }
    public required string LastConfigChangeAt { get; init; }
    /// <summary>True when a deployment revert undid this version; a rollback should not return to it.</summary>
    public bool Reverted { get; init; }
    /// <summary>When it was reverted (null unless <see cref="Reverted"/>).</summary>
    public string? RevertedAt { get; init; }
    /// <summary>Id of the reverting deployment (null unless <see cref="Reverted"/>).</summary>
    public string? RevertedBy { get; init; }
    /// <summary>Why, e.g. "reverted by DELETE /v2/deployments/…" or "auto-revert after: …" (null unless <see cref="Reverted"/>).</summary>
    public string? Reason { get; init; }
}

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    PropertyNameCaseInsensitive = true)]
[JsonSerializable(typeof(AppHistory))]
public partial class AppHistoryJsonContext : JsonSerializerContext;
