using System.Runtime.CompilerServices;
using Drover.State;
using Drover.Server.Storage;

namespace Drover.Server;

/// <summary>
/// Serialises read-modify-write sequences: the decision is made on the latest snapshot while no
/// other writer of this server can interleave, so two API calls cannot both allocate the same
/// service port or both create the same app.
/// </summary>
/// <remarks>
/// Decide functions are pure: they read the snapshot and return ops, and describe what should happen in memory
/// (logs, events, caches) on the <see cref="WriteEffects"/> they are handed. Those run only once the batch is
/// durable, so a write that fails (a precondition, a fenced leader, the store down) has moved no memory. A decide
/// function may run more than once (a retry after a conflict); each run gets a fresh <see cref="WriteEffects"/>.
/// </remarks>
public sealed partial class StateWriter(IStateStore store, Metrics.ServerMetrics? metrics = null)
{
    private readonly SemaphoreSlim _lock = new(1, 1);

    public IStateStore Store => store;
    public StateSnapshot Current => store.Current;

    /// <summary>How often a write is decided again after a conflict before the conflict reaches the caller.</summary>
    public const int MaxAttempts = 5;

    /// <summary>How long a retry waits for this server's copy of the state to show the write that beat it.</summary>
    private static readonly TimeSpan CatchUpWait = TimeSpan.FromSeconds(2);

    /// <summary>Runs <paramref name="decide"/> on the latest snapshot, applies the ops it returns (none = no write), then its effects.</summary>
    /// <remarks>
    /// Effects run under the writer's lock, so they happen in the order of the writes; they must not write themselves.
    /// With no ops there is nothing to wait for and the effects run at once.
    /// The batch carries a precondition on every collection the decision read (<see cref="StateOp.Unchanged"/> at the
    /// snapshot's index), so it lands only if what it was decided on still holds in the store, whoever else writes
    /// there (a deposed leader that has not noticed, a server whose copy lags). On a conflict the decision is made again
    /// on a snapshot that includes the write that beat it, up to <see cref="MaxAttempts"/> times.
    /// </remarks>
    public async Task<(StateSnapshot Snapshot, T Result)> UpdateAsync<T>(Func<StateSnapshot, WriteEffects, (IReadOnlyList<StateOp> Ops, T Result)> decide,
        CancellationToken ct = default, [CallerFilePath] string writerFile = "")
    {
        // a group of one: the same decide, check, retry and effects as a grouped write, without waiting for others
        var write = GroupedWrite.Of(decide, WriterName(writerFile), ct);
        await _lock.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            metrics?.WriterWaited(write.Queued);
            await WriteGroupAsync([write]).ConfigureAwait(false);
        }
        finally
        {
            _lock.Release();
        }
        return await write.ResultAsync<T>().ConfigureAwait(false);
    }

    /// <summary>
    /// Writes a decision made outside the writer's lock, on <paramref name="decidedOn"/> (an earlier snapshot), if it
    /// still holds: every collection in <paramref name="reads"/> except <paramref name="keyChecked"/> must be unchanged
    /// since that snapshot, and the ops on <paramref name="keyChecked"/> collections carry their own per-key
    /// preconditions (<see cref="StateOp.ExpectedModifyIndex"/>). Returns false, having written and run nothing, when
    /// it does not hold: the caller decides again (under the lock, with <see cref="UpdateAsync{T}(Func{StateSnapshot, WriteEffects, ValueTuple{IReadOnlyList{StateOp}, T}}, CancellationToken, string)"/>).
    /// </summary>
    /// <remarks>
    /// For a long decision over a busy collection (a reconcile pass plans over every task while agents' reports change
    /// task after task): holding the lock while deciding would stop every other write for the whole decision, and a
    /// check on the whole collection would fail on any report; checking only the keys it writes lets it land as long
    /// as nobody changed what it writes. The events are rendered into the log under the lock, on the current state.
    /// </remarks>
    public async Task<bool> TryWriteDecidedAsync(StateSnapshot decidedOn, ReadSet reads, IReadOnlyCollection<string> keyChecked,
        IReadOnlyList<StateOp> ops, WriteEffects effects, CancellationToken ct = default)
    {
        await _lock.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            var current = store.Current;
            var checks = reads.Preconditions(decidedOn.Index).Where(c => !keyChecked.Contains(c.Collection));
            IReadOnlyList<StateOp> batch = [.. checks, .. ops];
            if (effects.Events.Count > 0) batch = [.. batch, .. Storage.EventLog.Append(current, effects.Events), StateOp.Unchanged(Schema.EventLog.Name, current.Index)];
            if (batch.All(o => o.IsReadCheck))
            {
                effects.Run();
                return true;
            }
            try
            {
                await ApplyAsync(batch).ConfigureAwait(false);
            }
            catch (Exception e) when (e is ReadConflictException or PreconditionFailedException)
            {
                metrics?.StoreWriteConflicted();
                return false;
            }
            effects.Run();
            return true;
        }
        finally
        {
            _lock.Release();
        }
    }

    private async Task<StateSnapshot> ApplyAsync(IReadOnlyList<StateOp> ops)
    {
        var start = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            var snap = await store.ApplyAsync(ops, CancellationToken.None).ConfigureAwait(false);
            metrics?.StoreWritten(start);
            return snap;
        }
        catch
        {
            metrics?.StoreWriteFailed();
            throw;
        }
    }

    public Task<(StateSnapshot Snapshot, T Result)> UpdateAsync<T>(Func<StateSnapshot, (IReadOnlyList<StateOp> Ops, T Result)> decide, CancellationToken ct = default,
        [CallerFilePath] string writerFile = "") =>
        UpdateAsync((s, _) => decide(s), ct, writerFile);

    public async Task<StateSnapshot> UpdateAsync(Func<StateSnapshot, WriteEffects, IReadOnlyList<StateOp>> decide, CancellationToken ct = default,
        [CallerFilePath] string writerFile = "") =>
        (await UpdateAsync((s, e) => (decide(s, e), 0), ct, writerFile).ConfigureAwait(false)).Snapshot;

    public async Task<StateSnapshot> UpdateAsync(Func<StateSnapshot, IReadOnlyList<StateOp>> decide, CancellationToken ct = default,
        [CallerFilePath] string writerFile = "") =>
        (await UpdateAsync((s, _) => (decide(s), 0), ct, writerFile).ConfigureAwait(false)).Snapshot;

    /// <summary>The metric label of a writer: its source file's name, without directories (they differ between build machines).</summary>
    private static string WriterName(string file) => file.Length == 0 ? "unknown" : Path.GetFileNameWithoutExtension(file.Replace('\\', '/').Split('/')[^1]);
}

/// <summary>
/// What a write does besides its ops, described by the decide function: Marathon events (stored in the same batch, so
/// every server streams them) and local actions (log lines, in-memory caches) run only after the write is durable.
/// </summary>
public sealed class WriteEffects
{
    private readonly List<Action> _actions = [];
    private readonly List<ServerEvent> _events = [];

    public IReadOnlyList<ServerEvent> Events => _events;

    /// <summary>An event the write causes: stored with it, published by every server's projector.</summary>
    public void Publish(ServerEvent evt) => _events.Add(evt);

    public void Add(Action effect) => _actions.Add(effect);

    public void AddRange(IEnumerable<Action> effects) => _actions.AddRange(effects);

    public int Count => _actions.Count + _events.Count;

    /// <summary>Runs every effect in the order added; one that throws does not stop the rest (the write is already durable).</summary>
    internal void Run()
    {
        List<Exception>? errors = null;
        foreach (var a in _actions)
        {
            try
            {
                a();
            }
            catch (Exception ex)
            {
                (errors ??= []).Add(ex);
            }
        }
        if (errors is not null) throw new AggregateException("effects of a durable write failed", errors);
    }
}
