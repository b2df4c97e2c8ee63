using Drover.Api.Marathon;
using Drover.Core.Apps;
using Drover.Core.Json;
using Drover.Scheduling;

using Drover.State;
using Drover.Server.Storage;

namespace Drover.Server.Reconcile;

/// <summary>
/// The latest view of instances waiting to be placed (GET /v2/queue). Launch backoffs live in the store
/// (<see cref="Schema.LaunchBackoffs"/>), so a new leader keeps delaying a crash-looping app, as Marathon keeps
/// its launch queue's delays in ZooKeeper-backed state across failover.
/// </summary>
public sealed class LaunchQueue(StateWriter writer, TimeProvider time)
{
    private volatile IReadOnlyList<QueueEntry> _entries = [];

    /// <summary>The stored backoffs of <paramref name="s"/>, by app id.</summary>
    public static IReadOnlyDictionary<string, LaunchBackoff> Backoffs(StateSnapshot s)
    {
        var all = s.Entries(Schema.LaunchBackoffs.Name);
        if (all.IsEmpty) return ReconcileInput.NoBackoffs;
        return all.ToDictionary(kv => kv.Key, kv => StateSnapshot.Decode(Schema.LaunchBackoffs, kv.Value), StringComparer.Ordinal);
    }

    /// <summary>Deletes of the backoffs the plan reset, and of those whose app is gone (only stored ones: a pass that changes nothing writes nothing).</summary>
    public static IEnumerable<StateOp> Resets(StateSnapshot s, IReadOnlyList<string> resets)
    {
        var stored = s.Entries(Schema.LaunchBackoffs.Name);
        if (stored.IsEmpty) yield break;
        var reset = resets.ToHashSet(StringComparer.Ordinal);
        foreach (var appId in stored.Keys)
            if (reset.Contains(appId) || s.Entry(Schema.Apps.Name, appId) is null)
                yield return StateOp.Delete(Schema.LaunchBackoffs, appId);
    }

    /// <summary>DELETE /v2/queue/{app}/delay: false when the app neither has a delay nor waits in the queue.</summary>
    public async Task<bool> ResetDelayAsync(string appId, CancellationToken ct)
    {
        var (_, had) = await writer.UpdateAsync<bool>(s => s.Entry(Schema.LaunchBackoffs.Name, appId) is null
            ? ([], false)
            : ([StateOp.Delete(Schema.LaunchBackoffs, appId)], true), ct);
        return had | _entries.Any(e => e.AppId == appId);
    }

    /// <summary>The queue view of the latest pass (rebuilt by the next pass on any server that runs them).</summary>
    public void Publish(IReadOnlyList<QueueEntry> entries) => _entries = entries;

    /// <summary>
    /// Ops that record when apps began to wait (GET /v2/queue's "since") and forget those that no longer wait; none
    /// while the set of waiting apps stays the same, so a steady queue costs no writes.
    /// </summary>
    public static IEnumerable<StateOp> WaitingChanges(StateSnapshot s, IReadOnlyList<QueueEntry> entries, DateTimeOffset now)
    {
        var waiting = entries.Select(e => e.AppId).ToHashSet(StringComparer.Ordinal);
        var stored = s.Entries(Schema.QueueWaiting.Name);
        foreach (var appId in waiting)
            if (!stored.ContainsKey(appId)) yield return StateOp.Put(Schema.QueueWaiting, appId, new QueueWaiting { Since = MarathonTime.ToWire(now) });
        foreach (var appId in stored.Keys)
            if (!waiting.Contains(appId)) yield return StateOp.Delete(Schema.QueueWaiting, appId);
    }

    public IReadOnlyList<QueueItem> Items()
    {
        var s = writer.Current;
        var now = time.GetUtcNow();
        var items = new List<QueueItem>();
        foreach (var e in _entries)
        {
            var app = s.Get(Schema.Apps, e.AppId);
            if (app is null) continue;
            var left = e.DelayUntil is { } until ? Math.Max(0, (until - now).TotalSeconds) : 0;
            var reasons = e.RejectSummary;
            var since = MarathonTime.TryParse(s.Get(Schema.QueueWaiting, e.AppId)?.Since, out var t) ? t : now;
            items.Add(new QueueItem
            {
                Count = e.Count,
                Delay = new QueueDelay(Math.Round(left, 3), left <= 0),
                Since = MarathonTime.ToWire(since),
                App = app,
                ProcessedOffersSummary = new ProcessedOffersSummary
                {
                    ProcessedOffersCount = e.Processed,
                    UnusedOffersCount = reasons.Count == 0 ? 0 : e.Processed,
                    LastUnusedOfferAt = reasons.Count == 0 ? null : MarathonTime.ToWire(now),
                    RejectSummaryLastOffers = reasons.Select(r => new RejectSummary(r.Reason, r.Declined, r.Processed)).ToList(),
                    RejectSummaryLaunchAttempt = reasons.Select(r => new RejectSummary(r.Reason, r.Declined, r.Processed)).ToList(),
                },
            });
        }
        return items;
    }
}
