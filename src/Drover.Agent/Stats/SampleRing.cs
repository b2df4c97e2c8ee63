namespace Drover.Agent.Stats;

/// <summary>
/// A fixed-size ring of samples, oldest overwritten first, as cAdvisor's in-memory storage keeps each container's
/// recent stats: memory is the capacity times one sample, however long the agent runs. Samples older than
/// <see cref="Retention"/> before the newest are not returned either, so a gap (the agent paused, a task that gave no
/// figures for a while) does not serve figures older than the history is meant to cover.
/// </summary>
public sealed class SampleRing<T>(int capacity, TimeSpan retention, Func<T, DateTimeOffset> timestampOf)
{
    private readonly T[] _items = capacity > 0 ? new T[capacity] : throw new ArgumentOutOfRangeException(nameof(capacity), capacity, "a ring holds at least one sample");
    private readonly Lock _gate = new();
    private int _next;
    private int _count;

    public int Capacity => _items.Length;
    public TimeSpan Retention => retention;

    public int Count
    {
        get { lock (_gate) return _count; }
    }

    /// <summary>The newest sample's time; null when empty.</summary>
    public DateTimeOffset? Newest
    {
        get { lock (_gate) return _count == 0 ? null : timestampOf(_items[(_next - 1 + _items.Length) % _items.Length]); }
    }

    public void Add(T sample)
    {
        lock (_gate)
        {
            _items[_next] = sample;
            _next = (_next + 1) % _items.Length;
            if (_count < _items.Length) _count++;
        }
    }

    /// <summary>The samples newer than <paramref name="since"/> (all when null) and within the retention of <paramref name="now"/>, oldest first.</summary>
    public IReadOnlyList<T> Read(DateTimeOffset? since, DateTimeOffset now)
    {
        var oldest = now - retention;
        lock (_gate)
        {
            var list = new List<T>(_count);
            for (var i = 0; i < _count; i++)
            {
                var item = _items[(_next - _count + i + _items.Length) % _items.Length];
                var at = timestampOf(item);
                if (at >= oldest && (since is null || at > since)) list.Add(item);
            }
            return list;
        }
    }
}
