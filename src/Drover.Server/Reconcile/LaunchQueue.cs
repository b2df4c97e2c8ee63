using System.Collections.Concurrent;
using Drover.Api.Marathon;
using Drover.Core.Apps;
using Drover.Core.Json;
using Drover.Scheduling;

using Drover.State;

namespace Drover.Server.Reconcile;

/// <summary>
/// Launch backoff per app and the latest view of instances waiting to be placed (GET /v2/queue).
/// In memory: after a restart every app may launch at once, which is what an operator restarting
/// the server wants.
/// </summary>
public sealed class LaunchQueue(StateWriter writer, TimeProvider time)
{
    private readonly ConcurrentDictionary<string, LaunchBackoff> _backoffs = new();
    private volatile IReadOnlyList<QueueEntry> _entries = [];
    private readonly ConcurrentDictionary<string, DateTimeOffset> _waitingSince = new();

    public IReadOnlyDictionary<string, LaunchBackoff> Backoffs => _backoffs;

    /// <summary>A failed task of the current config delays the next launch; an old version failing during an upgrade does not.</summary>
    public void OnTaskFailed(string appId, string taskVersion, DateTimeOffset now)
    {
        var app = writer.Current.Get(Collections.Apps, appId);
        if (app is null || !AppVersions.IsCurrent(app, taskVersion)) return;
        _backoffs.AddOrUpdate(appId,
            _ => BackoffPolicy.OnTaskFailed(app, null, now),
            (_, current) => BackoffPolicy.OnTaskFailed(app, current, now));
    }

    public void ApplyResets(IReadOnlyList<string> appIds)
    {
        foreach (var id in appIds) _backoffs.TryRemove(id, out _);
    }

    public bool ResetDelay(string appId) => _backoffs.TryRemove(appId, out _) | _entries.Any(e => e.AppId == appId);

    public void Publish(IReadOnlyList<QueueEntry> entries, DateTimeOffset now)
    {
        foreach (var e in entries) _waitingSince.TryAdd(e.AppId, now);
        foreach (var k in _waitingSince.Keys) if (entries.All(e => e.AppId != k)) _waitingSince.TryRemove(k, out _);
        _entries = entries;
    }

    public IReadOnlyList<QueueItem> Items()
    {
        var s = writer.Current;
        var now = time.GetUtcNow();
        var items = new List<QueueItem>();
        foreach (var e in _entries)
        {
            var app = s.Get(Collections.Apps, e.AppId);
            if (app is null) continue;
            var left = e.DelayUntil is { } until ? Math.Max(0, (until - now).TotalSeconds) : 0;
            var reasons = e.RejectSummary;
            var since = _waitingSince.TryGetValue(e.AppId, out var t) ? t : now;
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
