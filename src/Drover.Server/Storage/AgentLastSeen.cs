using System.Text.Json.Serialization;

namespace Drover.Server.Storage;

/// <summary>When the leader last heard from an agent (Schema.AgentLastSeen): what a new leader seeds its clocks from.</summary>
public sealed record AgentLastSeen
{
    public required string AgentId { get; init; }

    /// <summary>ISO-8601 UTC, as every timestamp in the store.</summary>
    public required string LastSeenAt { get; init; }

    /// <summary>
    /// With <see cref="HeartbeatSeq"/>: the newest heartbeat of the agent's run whose picture is durable (ReportOrder).
    /// Kept here rather than on the agent record because this record is written for every heartbeating agent anyway
    /// (one batch every flush interval), while the agent record is written only when the agent changes: the numbers
    /// ride along for free, at most a flush interval behind. Null until a stamped heartbeat was applied.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? HeartbeatRun { get; init; }

    /// <inheritdoc cref="HeartbeatRun"/>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public long? HeartbeatSeq { get; init; }
}
