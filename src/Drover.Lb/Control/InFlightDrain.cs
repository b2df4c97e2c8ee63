using Drover.Api.LoadBalancing;
using Drover.Core.Apps;
using Drover.Core.LoadBalancing;
using Drover.Lb.Haproxy;
using Drover.Lb.Model;
using Drover.Lb.Planning;

namespace Drover.Lb.Control;

/// <summary>
/// "Drain" in HAProxy only stops new requests; the ones already sent to the server are still running. The server
/// releases a held kill as soon as this lb reports the index that drains the task, so reporting it the moment the
/// drain is set lets SIGTERM cut those requests off (the end-to-end load test saw a response lose its body that way).
/// So the lb reports the index only once the draining servers have no sessions left in HAProxy ("show stat" scur),
/// waiting at most the app's drain timeout (DROVER_LB_DRAIN_SECONDS), after which the server kills anyway. What
/// marathon-lb's zero-downtime deploy does too: it waits for the old servers' sessions to reach 0 before going on.
/// </summary>
public static class InFlightDrain
{
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(5);

    /// <summary>The servers a runtime plan newly puts in drain state, as (backend, server).</summary>
    public static IReadOnlyList<(string Backend, string Server)> NewlyDraining(LbPlan plan) =>
        [.. plan.Ops.OfType<SetServerState>().Where(o => o.State == ServerState.Drain).Select(o => (o.Backend, o.Server))];

    /// <summary>The longest drain timeout among the apps of <paramref name="servers"/>: waiting longer gains nothing.</summary>
    public static TimeSpan Limit(LbState state, LbConfig desired, IReadOnlyList<(string Backend, string Server)> servers)
    {
        var limit = TimeSpan.Zero;
        foreach (var appId in servers.Select(s => desired.Backend(s.Backend)?.AppId).Distinct())
        {
            var app = state.Apps.FirstOrDefault(a => a.Id == appId);
            var timeout = LbDrainLabels.DrainTimeout(app is null ? null : new AppDefinition { Id = app.Id, Labels = app.Labels });
            if (timeout > limit) limit = timeout;
        }
        return limit;
    }

    /// <summary>True once none of <paramref name="servers"/> has a session; false when <paramref name="limit"/> passed first.</summary>
    public static async Task<bool> WaitUntilIdleAsync(RuntimeApi runtime, IReadOnlyList<(string Backend, string Server)> servers, TimeSpan limit,
        TimeProvider time, CancellationToken ct)
    {
        var deadline = time.GetUtcNow() + limit;
        var wanted = servers.ToHashSet();
        while (true)
        {
            var busy = (await runtime.ShowStatAsync(ct)).Any(r => r.CurrentSessions > 0 && wanted.Contains((r.Proxy, r.Name)));
            if (!busy) return true;
            if (time.GetUtcNow() >= deadline) return false;
            await Task.Delay(Poll, time, ct);
        }
    }
}
