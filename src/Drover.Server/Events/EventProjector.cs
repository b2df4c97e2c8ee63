using Drover.Core.Retry;
using Drover.State;
using Microsoft.Extensions.Hosting;
using Drover.Server.Storage;

namespace Drover.Server.Events;

/// <summary>
/// Runs on every server (leader or not): publishes the events the store's event log gains, in the order the store
/// applied their writes, to this server's SSE subscribers.
/// </summary>
public sealed class EventProjector(IStateStore store, EventBus bus, TimeProvider time, ServerLog log) : BackgroundService
{
    /// <summary>How far this server has streamed: the store index, and the sequence of the last batch (<see cref="EventLog.NewKey"/>; a jump means batches were pruned unseen).</summary>
    private sealed record Position(long Index, long Sequence)
    {
        public static Position Of(StateSnapshot s) => new(s.Index, EventLog.LatestSequence(s));
    }

    /// <summary>Taken when the server is built, before any write of its own: only events written after that are streamed.</summary>
    private Position _position = Position.Of(store.Current);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var backoff = new Backoff(time, TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(5), jitter: 0);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await foreach (var snapshot in store.WatchAsync(Volatile.Read(ref _position).Index, stoppingToken).ConfigureAwait(false))
                {
                    Project(snapshot);
                    backoff.Reset();
                }
                return; // the store closed
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                log.EventProjectionFailed(ex);
                await backoff.WaitAsync(stoppingToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Publishes the batches written after the last snapshot projected (a coalesced watch may bring several at once).</summary>
    /// <remarks>
    /// A server whose projector fell more than <see cref="EventLog.Capacity"/> event-bearing writes behind finds the
    /// sequence jump: it says so and ends every event stream of this server, as a slow subscriber is dropped, so clients
    /// reconnect and re-read the state (marathon-lb and Bamboo resync on reconnect) instead of silently missing events.
    /// </remarks>
    public void Project(StateSnapshot snapshot)
    {
        var at = Volatile.Read(ref _position);
        if (snapshot.Index <= at.Index) return;
        var fresh = snapshot.Entries(Schema.EventLog.Name).Values
            .Where(e => e.ModifyIndex > at.Index)
            .OrderBy(e => e.ModifyIndex).ThenBy(e => e.Key, StringComparer.Ordinal);
        var last = at.Sequence;
        foreach (var e in fresh)
        {
            var sequence = EventLog.SequenceOf(e.Key);
            if (sequence > last + 1)
            {
                log.EventsPruned(sequence - last - 1, at.Index, bus.SubscriberCount);
                bus.DropAll();
            }
            last = Math.Max(last, sequence);
            foreach (var evt in StateSnapshot.Decode(Schema.EventLog, e).Events) bus.Deliver(evt);
        }
        Volatile.Write(ref _position, new Position(snapshot.Index, last));
    }
}
