using Drover.State;

namespace Drover.Server.Agents;

/// <summary>
/// Group commit of agent reports (heartbeats and status updates): the reports that arrive while a write is in flight
/// are decided together on one snapshot and written in one batch, as Nomad's Node.UpdateAlloc batches its clients'
/// allocation updates into one raft apply. With thousands of agents reporting, one write per report makes the
/// store's fsync (or etcd's quorum round trip) the limit of the whole cluster: bench/c1m.
/// </summary>
/// <remarks>
/// Reports of one agent are written in the order they arrived, at most one per batch, so a later report always sees
/// what an earlier one wrote. Reports of different agents touch different tasks; what they share (an app's launch
/// backoff) goes through <see cref="Batch.Backoffs"/>, so two failures of one app in one batch count twice.
/// Each caller's task completes once the batch holding its report is durable, or faults with the write's error.
/// </remarks>
public sealed class ReportBatcher(StateWriter writer)
{
    /// <summary>Task reports per write at most: keeps one batch's size (and etcd transaction) bounded.</summary>
    public const int MaxTaskReportsPerBatch = 5000;

    /// <summary>What one decide of a batch shares with the others of the same batch.</summary>
    public sealed class Batch
    {
        /// <summary>Launch backoffs set earlier in this batch, by app id.</summary>
        public Dictionary<string, Scheduling.LaunchBackoff> Backoffs { get; } = new(StringComparer.Ordinal);
    }

    /// <summary>One agent's report: pure, like every decide function (it may run on a snapshot that includes other reports' effects).</summary>
    public delegate IEnumerable<StateOp> Decide(StateSnapshot s, WriteEffects after, Batch batch);

    private sealed record Pending(string AgentId, int Size, Decide Decide)
    {
        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private readonly Lock _gate = new();
    private readonly List<Pending> _queue = [];
    private bool _flushing;

    /// <summary>Counts the batches written (for tests: fewer than the reports when they were grouped).</summary>
    public long Batches => Interlocked.Read(ref _batches);
    private long _batches;

    /// <param name="size">The number of task reports in it (bounds the batch).</param>
    public Task SubmitAsync(string agentId, int size, Decide decide)
    {
        var pending = new Pending(agentId, size, decide);
        bool start;
        lock (_gate)
        {
            _queue.Add(pending);
            start = !_flushing;
            _flushing = true;
        }
        if (start) _ = Task.Run(FlushAsync);
        return pending.Done.Task;
    }

    private async Task FlushAsync()
    {
        while (true)
        {
            List<Pending> batch;
            lock (_gate)
            {
                batch = Take();
                if (batch.Count == 0)
                {
                    _flushing = false;
                    return;
                }
            }
            try
            {
                // grouped with the API writes waiting at the same time: one store round trip for all of them
                await writer.UpdateGroupedAsync<int>((s, after) =>
                {
                    var shared = new Batch();
                    var ops = new List<StateOp>();
                    foreach (var p in batch) ops.AddRange(p.Decide(s, after, shared));
                    return (ops, ops.Count);
                }).ConfigureAwait(false);
                Interlocked.Increment(ref _batches);
                foreach (var p in batch) p.Done.TrySetResult();
            }
            catch (Exception e)
            {
                foreach (var p in batch) p.Done.TrySetException(e);
            }
        }
    }

    /// <summary>The oldest reports, one per agent, up to the size bound (at least one); the rest stay queued in order.</summary>
    private List<Pending> Take()
    {
        var taken = new List<Pending>();
        var agents = new HashSet<string>(StringComparer.Ordinal);
        var size = 0;
        for (var i = 0; i < _queue.Count; i++)
        {
            var p = _queue[i];
            if (taken.Count > 0 && size + p.Size > MaxTaskReportsPerBatch) break;
            // an agent's later report waits for the next batch, and so nothing of that agent overtakes it
            if (!agents.Add(p.AgentId)) continue;
            taken.Add(p);
            size += p.Size;
        }
        foreach (var p in taken) _queue.Remove(p);
        return taken;
    }
}
