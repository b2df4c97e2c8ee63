using System.Runtime.CompilerServices;
using Drover.State;

namespace Drover.Server;

/// <summary>
/// Group commit of API writes: the writes that queue while the writer is busy are decided one after another, each on
/// the state the earlier ones leave (<see cref="StateSnapshot.Speculate"/>), and stored in one batch, as a database
/// commits the transactions waiting on one log flush. With a thousand clients creating apps at once, one store write
/// each made the store's fsync (or etcd's quorum round trip) the rate of the whole API: bench/c1m.
/// </summary>
/// <remarks>
/// Each caller sees what it would alone: its decision is made under the writer's lock on a state that holds every
/// write before it, its effects run in order once the batch is durable, and a decision that throws fails only its
/// own caller. When the batch as a whole is refused for something other than a read conflict (one caller's
/// check-and-set, the store down), each write is tried again alone so that each caller gets its own answer.
/// </remarks>
public sealed partial class StateWriter
{
    /// <summary>Writes decided into one batch at most.</summary>
    public const int MaxGroupedWrites = 64;

    /// <summary>One caller's write, waiting for its batch (every write goes through one: <see cref="UpdateAsync{T}(Func{StateSnapshot, WriteEffects, ValueTuple{IReadOnlyList{StateOp}, T}}, CancellationToken, string)"/> is a group of one).</summary>
    private sealed class GroupedWrite(Func<StateSnapshot, WriteEffects, (IReadOnlyList<StateOp> Ops, object? Result)> decide, string writer, CancellationToken ct)
    {
        public Func<StateSnapshot, WriteEffects, (IReadOnlyList<StateOp> Ops, object? Result)> Decide { get; } = decide;
        public string Writer { get; } = writer;
        public CancellationToken Cancel { get; } = ct;
        public long Queued { get; } = System.Diagnostics.Stopwatch.GetTimestamp();
        public TaskCompletionSource<(StateSnapshot Snapshot, object? Result)> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public static GroupedWrite Of<T>(Func<StateSnapshot, WriteEffects, (IReadOnlyList<StateOp> Ops, T Result)> decide, string writer, CancellationToken ct) =>
            new((s, fx) =>
            {
                var (ops, result) = decide(s, fx);
                return (ops, result);
            }, writer, ct);

        public async Task<(StateSnapshot Snapshot, T Result)> ResultAsync<T>()
        {
            var (snapshot, result) = await Done.Task.ConfigureAwait(false);
            return (snapshot, (T)result!);
        }
    }

    private sealed record Decided(GroupedWrite Write, WriteEffects Effects, object? Result);

    private readonly Lock _queueGate = new();
    private readonly List<GroupedWrite> _queue = [];
    private bool _draining;

    /// <summary>Batches written by <see cref="UpdateGroupedAsync{T}"/> and UpdateAsync (for tests: fewer than the writes when they were grouped).</summary>
    public long BatchesWritten => Interlocked.Read(ref _batchesWritten);
    private long _batchesWritten;

    /// <summary>
    /// As <see cref="UpdateAsync{T}(Func{StateSnapshot, WriteEffects, ValueTuple{IReadOnlyList{StateOp}, T}}, CancellationToken, string)"/>,
    /// but stored in one batch with the other grouped writes waiting at the same time. <paramref name="decide"/> may see
    /// a state that is not durable yet (the writes grouped before it): it returns once it is.
    /// </summary>
    public async Task<(StateSnapshot Snapshot, T Result)> UpdateGroupedAsync<T>(Func<StateSnapshot, WriteEffects, (IReadOnlyList<StateOp> Ops, T Result)> decide,
        CancellationToken ct = default, [CallerFilePath] string writerFile = "")
    {
        ct.ThrowIfCancellationRequested();
        var write = GroupedWrite.Of(decide, WriterName(writerFile), ct);
        bool drain;
        lock (_queueGate)
        {
            _queue.Add(write);
            drain = !_draining;
            _draining = true;
        }
        if (drain) _ = Task.Run(DrainAsync, CancellationToken.None);
        return await write.ResultAsync<T>().ConfigureAwait(false);
    }

    private async Task DrainAsync()
    {
        while (true)
        {
            List<GroupedWrite> taken;
            lock (_queueGate)
            {
                if (_queue.Count == 0)
                {
                    _draining = false;
                    return;
                }
                taken = _queue.GetRange(0, Math.Min(MaxGroupedWrites, _queue.Count));
                _queue.RemoveRange(0, taken.Count);
            }
            await _lock.WaitAsync().ConfigureAwait(false);
            try
            {
                foreach (var w in taken) metrics?.WriterWaited(w.Queued);
                await WriteGroupAsync(taken).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                // not expected (every failure is handed to its caller); no caller may wait forever
                foreach (var w in taken) w.Done.TrySetException(e);
            }
            finally
            {
                _lock.Release();
            }
        }
    }

    /// <summary>Decides <paramref name="writes"/> in order and stores them in one batch. Called under the writer's lock.</summary>
    private async Task WriteGroupAsync(IReadOnlyList<GroupedWrite> writes)
    {
        for (var attempt = 1; ; attempt++)
        {
            var current = store.Current;
            var (decided, ops, reads) = DecideGroup(writes, current);
            if (decided.Count == 0) return;
            if (ops.Count == 0)
            {
                Complete(decided, store.Current);
                return;
            }
            StateSnapshot snap;
            try
            {
                snap = await ApplyAsync([.. reads.Preconditions(current.Index), .. ops]).ConfigureAwait(false);
            }
            catch (ReadConflictException conflict) when (attempt < MaxAttempts)
            {
                metrics?.StoreWriteConflicted();
                await store.WaitForIndexAsync(Math.Max(conflict.ChangedAt, current.Index + 1), CatchUpWait, CancellationToken.None).ConfigureAwait(false);
                writes = [.. decided.Select(d => d.Write)];
                continue;
            }
            catch (Exception) when (decided.Count > 1)
            {
                // one write's own precondition, or the store refusing: each caller gets its own answer
                foreach (var d in decided) await WriteGroupAsync([d.Write]).ConfigureAwait(false);
                return;
            }
            catch (Exception e)
            {
                decided[0].Write.Done.TrySetException(e);
                return;
            }
            Interlocked.Increment(ref _batchesWritten);
            Complete(decided, snap);
            return;
        }
    }

    /// <summary>
    /// Each write decided on the state the ones before it leave; a write whose decision throws is answered with that and
    /// left out. <c>Reads</c>: the collections the decided writes read (what the batch checks is unchanged).
    /// </summary>
    private (List<Decided> Decided, List<StateOp> Ops, ReadSet Reads) DecideGroup(IReadOnlyList<GroupedWrite> writes, StateSnapshot current)
    {
        var decided = new List<Decided>(writes.Count);
        var ops = new List<StateOp>();
        var groupReads = new ReadSet();
        var state = current;
        for (var i = 0; i < writes.Count; i++)
        {
            var w = writes[i];
            if (w.Cancel.IsCancellationRequested)
            {
                w.Done.TrySetCanceled(w.Cancel);
                continue;
            }
            var deciding = System.Diagnostics.Stopwatch.GetTimestamp();
            var effects = new WriteEffects();
            var reads = new ReadSet();
            try
            {
                var view = state.Tracking(reads);
                var (mine, result) = w.Decide(view, effects);
                if (effects.Events.Count > 0) mine = [.. mine, .. Storage.EventLog.Append(view, effects.Events)];
                // the state after this write is needed only by a write decided after it (a store apply costs as much again)
                if (mine.Count > 0 && i < writes.Count - 1) state = state.Speculate(mine);
                ops.AddRange(mine);
                decided.Add(new Decided(w, effects, result));
                foreach (var c in reads.Collections) groupReads.Add(c);
            }
            catch (Exception e)
            {
                w.Done.TrySetException(e);
            }
            metrics?.WriteDecided(w.Writer, deciding);
        }
        return (decided, ops, groupReads);
    }

    /// <summary>Runs each write's effects in order, then answers its caller (with the error of an effect that threw).</summary>
    private static void Complete(List<Decided> decided, StateSnapshot snap)
    {
        foreach (var d in decided)
        {
            try
            {
                d.Effects.Run();
                d.Write.Done.TrySetResult((snap, d.Result));
            }
            catch (Exception e)
            {
                d.Write.Done.TrySetException(e);
            }
        }
    }
}
