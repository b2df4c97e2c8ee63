using Drover.Core.Json;
using Drover.State;
using Drover.Server.Storage;
using Microsoft.Extensions.Hosting;

namespace Drover.Server.Agents;

/// <summary>
/// Leader only: stores the heartbeat times that moved (<see cref="AgentLiveness.Moved"/>) every
/// <see cref="ServerOptions.LivenessFlushInterval"/>, all agents in one write through the fenced <see cref="StateWriter"/>,
/// so 10,000 agents heartbeating every second cost one write every few seconds, not 10,000 a second. Entries of agents
/// no longer registered are deleted in the same write.
/// </summary>
public sealed class AgentLivenessRecorder(StateWriter writer, AgentLiveness liveness, ServerOptions options, TimeProvider time, ServerLog log)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(options.LivenessFlushInterval, time, stoppingToken).ConfigureAwait(false);
                await FlushAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // the times stay unstored in memory, so the next flush carries them
                log.LivenessFlushFailed(e);
            }
        }
    }

    /// <summary>One flush (public for tests that drive time by hand): the number of entries written or deleted.</summary>
    public async Task<int> FlushAsync(CancellationToken ct)
    {
        var moved = liveness.Moved();
        var (_, count) = await writer.UpdateAsync<int>((s, after) =>
        {
            var ops = new List<StateOp>();
            var written = new List<KeyValuePair<string, DateTimeOffset>>();
            foreach (var (id, t) in moved)
            {
                if (s.Get(Schema.Agents, id) is null) continue;
                // the newest applied heartbeat's number rides with the time: what a new leader orders reports by
                var (run, seq) = liveness.Order.HeartbeatToStore(id, s.Get(Schema.AgentLastSeen, id));
                ops.Add(StateOp.Put(Schema.AgentLastSeen, id, new AgentLastSeen
                {
                    AgentId = id, LastSeenAt = MarathonTime.ToWire(t), HeartbeatRun = run, HeartbeatSeq = seq,
                }));
                written.Add(new(id, t));
            }
            var gone = s.All(Schema.AgentLastSeen).Where(e => s.Get(Schema.Agents, e.AgentId) is null).Select(e => e.AgentId).ToList();
            ops.AddRange(gone.Select(id => StateOp.Delete(Schema.AgentLastSeen, id)));
            after.Add(() =>
            {
                liveness.Stored(written);
                foreach (var id in gone) liveness.Forget(id);
            });
            return ((IReadOnlyList<StateOp>)ops, ops.Count);
        }, ct).ConfigureAwait(false);
        return count;
    }
}
