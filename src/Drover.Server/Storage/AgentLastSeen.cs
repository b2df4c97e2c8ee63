namespace Drover.Server.Storage;

/// <summary>When the leader last heard from an agent (Schema.AgentLastSeen): what a new leader seeds its clocks from.</summary>
public sealed record AgentLastSeen
{
    public required string AgentId { get; init; }

    /// <summary>ISO-8601 UTC, as every timestamp in the store.</summary>
    public required string LastSeenAt { get; init; }
}
