using System.Runtime.CompilerServices;

namespace Drover.State;

/// <summary>
/// Holds the latest snapshot and wakes watchers when it changes. One signal per publish: every watcher
/// awaits the signal it read before looking at <see cref="Current"/>, and a publish stores the snapshot
/// before completing that signal, so no wakeup is lost and nobody polls.
/// </summary>
internal sealed class SnapshotPublisher(StateSnapshot initial)
{
    private volatile StateSnapshot _current = initial;
    private volatile TaskCompletionSource _changed = NewSignal();
    private volatile bool _completed;

    public StateSnapshot Current => _current;

    /// <summary>Called by the single writer only.</summary>
    /// <param name="touched">When <paramref name="snapshot"/> is the current one changed in just these keys: the views
    /// the current snapshot holds are carried over (<see cref="SnapshotView.Advance"/>); null: they are built on first use.</param>
    public void Publish(StateSnapshot snapshot, IEnumerable<(string Collection, string Key)>? touched = null)
    {
        if (touched is not null) SnapshotView.Advance(_current, snapshot, touched);
        _current = snapshot;
        Interlocked.Exchange(ref _changed, NewSignal()).TrySetResult();
    }

    /// <summary>Ends every watch (after it has seen the last snapshot). Publishing stops here.</summary>
    public void Complete()
    {
        _completed = true;
        Interlocked.Exchange(ref _changed, NewSignal()).TrySetResult();
    }

    public async IAsyncEnumerable<StateSnapshot> WatchAsync(long sinceIndex, [EnumeratorCancellation] CancellationToken ct)
    {
        var seen = sinceIndex;
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            var changed = _changed; // before reading _current: a publish after this read completes this signal
            var snapshot = _current;
            if (snapshot.Index > seen)
            {
                seen = snapshot.Index;
                yield return snapshot; // a slow consumer resumes here and then gets only the newest snapshot
                continue;
            }
            if (_completed) yield break;
            await changed.Task.WaitAsync(ct).ConfigureAwait(false);
        }
    }

    // Asynchronous continuations: the writer must not run watcher code inline while it publishes.
    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
