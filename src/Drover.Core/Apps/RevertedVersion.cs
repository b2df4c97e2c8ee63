namespace Drover.Core.Apps;

/// <summary>
/// A stored app version that a revert undid (DELETE /v2/deployments/{id}, or the automatic revert after a
/// progress-deadline failure). Marathon keeps no such record, so a rollback to "the previous version" would pick
/// the bad one again; this lets clients skip it. Keyed like the version itself ("appId@version") and pruned with it.
/// </summary>
public sealed record RevertedVersion
{
    public required string AppId { get; init; }
    /// <summary>The version the reverted deployment wrote (its target).</summary>
    public required string Version { get; init; }
    public required string RevertedAt { get; init; }
    /// <summary>Id of the deployment that did the revert (not the one it reverted).</summary>
    public required string RevertedBy { get; init; }
    public required string Reason { get; init; }
}
