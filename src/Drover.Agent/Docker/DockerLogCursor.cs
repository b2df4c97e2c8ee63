namespace Drover.Agent.Docker;

/// <summary>
/// Where a reader of a container's log stands, to the nanosecond: Docker's time of the last message taken, and how
/// many messages carried exactly that time. Docker's <c>since</c> is inclusive and several messages can share a
/// nanosecond (a burst on a coarse clock), so resuming from "last + 1 ns" would skip the rest of that nanosecond;
/// resuming from <c>since = last</c> and skipping the <see cref="TakenAtThatTime"/> messages already taken there
/// neither repeats nor skips one.
/// </summary>
public readonly record struct DockerLogCursor(long UnixNanos, int TakenAtThatTime)
{
    /// <summary>The cursor after one more message at <paramref name="unixNanos"/>; an earlier time (the clock stepped back) leaves it.</summary>
    public DockerLogCursor After(long unixNanos) =>
        unixNanos > UnixNanos ? new DockerLogCursor(unixNanos, 1)
        : unixNanos == UnixNanos ? this with { TakenAtThatTime = TakenAtThatTime + 1 }
        : this;

    /// <summary>Whether this cursor is not past <paramref name="other"/> (ordered by time, then count).</summary>
    public bool NotAfter(DockerLogCursor other) =>
        UnixNanos < other.UnixNanos || (UnixNanos == other.UnixNanos && TakenAtThatTime <= other.TakenAtThatTime);
}

/// <summary>
/// A reader's <see cref="DockerLogCursor"/> across reconnects: <see cref="Resume"/> gives the <c>since</c> to reopen
/// with, and <see cref="Take"/> then drops the messages at that time that were taken before. Not thread-safe.
/// </summary>
public sealed class DockerLogPosition(DockerLogCursor? start = null)
{
    private int _skip = start?.TakenAtThatTime ?? 0;

    /// <summary>Null before the first message with a time.</summary>
    public DockerLogCursor? Cursor { get; private set; } = start;

    /// <summary>The <c>since</c> (ns) to reopen with, null before the first message; what was taken at that time is skipped again.</summary>
    public long? Resume()
    {
        _skip = Cursor?.TakenAtThatTime ?? 0;
        return Cursor?.UnixNanos;
    }

    /// <summary>
    /// False for a message taken before (a repeat of the resumed nanosecond); true otherwise, and the cursor moves on.
    /// A message without a time is always taken and does not move the cursor.
    /// </summary>
    public bool Take(long? unixNanos)
    {
        if (unixNanos is not { } ns) return true;
        if (Cursor is { } c && ns == c.UnixNanos && _skip > 0)
        {
            _skip--;
            return false;
        }
        if (Cursor is not { } at || ns > at.UnixNanos) _skip = 0;
        Cursor = Cursor is { } cur ? cur.After(ns) : new DockerLogCursor(ns, 1);
        return true;
    }
}
