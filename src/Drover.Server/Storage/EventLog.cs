using System.Text.Json.Serialization;
using Drover.State;

namespace Drover.Server.Storage;

/// <summary>One published event: its type and its JSON (single line, as Marathon's SSE needs), plus the light-plan variant for deployment events.</summary>
/// <remarks>Here beside the schema rather than with the stream (Events): the writer stores it, and the writer sits below the stream.</remarks>
public sealed record ServerEvent(string Type, string Json, string? LightJson = null);

/// <summary>The Marathon events one write caused, rendered when it was decided and stored in that write's own batch.</summary>
/// <remarks>
/// Events live in the store (an outbox, as Nomad's event stream is fed from its state store's change log) rather
/// than being pushed by whoever made the write, so every server (and a new leader after failover) streams the same
/// events in the same order, and a write refused by the store produces none. The projector (<see cref="Events.EventProjector"/>)
/// publishes them from the store's watch. Rendering at write time also keeps facts that are not otherwise in the store
/// (a killed task's last state and message, a deployment's failure reason, api_post_event's client address).
/// </remarks>
public sealed record EventBatch
{
    public IReadOnlyList<ServerEvent> Events { get; init; } = [];
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(EventBatch))]
public partial class EventJsonContext : JsonSerializerContext;

/// <summary>How event batches are keyed and pruned.</summary>
public static class EventLog
{
    /// <summary>
    /// Batches kept: the projector of a server that falls this many writes behind misses events, as a slow SSE
    /// subscriber is dropped (Events.EventBus.SubscriberBuffer). Marathon keeps no history at all (events go only to those connected).
    /// </summary>
    public const int Capacity = 1024;

    /// <summary>
    /// "SEQUENCE-NONCE": the sequence is one more than the newest batch the write's snapshot holds, so keys sort oldest
    /// first (pruning drops those) and a projector that finds the sequence jump knows batches were pruned before it saw
    /// them. The nonce keeps two writes decided on the same snapshot apart (they share a sequence: no false gap).
    /// Projectors order by ModifyIndex, not by key. (Older keys carried the index the write was decided on; it grows
    /// too, so the sequence simply continues from the newest of them.)
    /// </summary>
    public static string NewKey(long sequence) => $"{sequence:D19}-{Guid.NewGuid():N}";

    /// <summary>The sequence of a batch from its key (0 for a key not in that form).</summary>
    public static long SequenceOf(string key) =>
        key.Length > 19 && long.TryParse(key.AsSpan(0, 19), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) ? n : 0;

    /// <summary>The newest sequence in a snapshot's log (0 when empty).</summary>
    public static long LatestSequence(StateSnapshot s) => s.Entries(Schema.EventLog.Name).Keys.LastOrDefault() is { } last ? SequenceOf(last) : 0;

    /// <summary>The put of a write's events, plus deletes of the oldest batches beyond <see cref="Capacity"/>.</summary>
    public static IEnumerable<StateOp> Append(StateSnapshot s, IReadOnlyList<ServerEvent> events)
    {
        var stored = s.Entries(Schema.EventLog.Name);
        foreach (var old in stored.Keys.Take(Math.Max(0, stored.Count - Capacity + 1)))
            yield return StateOp.Delete(Schema.EventLog, old);
        yield return StateOp.Put(Schema.EventLog, NewKey(LatestSequence(s) + 1), new EventBatch { Events = [.. events] });
    }
}
