using System.Threading.Channels;

namespace Drover.Agent.Logs.Shipping;

/// <summary>
/// The bounded in-memory queue between the tailer and the sender. Adding never waits: when it is full the new
/// line is dropped and counted, as Docker's non-blocking log mode drops the incoming message when its ring buffer is
/// full. Dropping the newest keeps what the collector receives a contiguous prefix of the output, with the gap
/// at its end, and the task is never slowed (it writes its files itself; only the agent's copy is bounded).
/// Each line carries its <see cref="ShipPosition"/>; a dropped line's position is lost with it, so once a later line
/// of the same source is acknowledged the recorded position moves past the dropped ones: they stay dropped (and
/// counted), a restart does not ship them again.
/// </summary>
public sealed class LogShipBuffer
{
    public const int DefaultCapacity = 10_000;

    private readonly Channel<BufferedLine> _lines;
    private long _dropped;

    public LogShipBuffer(int capacity, Action<int>? onDropped = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        Capacity = capacity;
        _lines = Channel.CreateBounded<BufferedLine>(
            new BoundedChannelOptions(capacity) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true },
            _ =>
            {
                Interlocked.Increment(ref _dropped);
                onDropped?.Invoke(1);
            });
    }

    public int Capacity { get; }

    /// <summary>Lines waiting to be sent.</summary>
    public int Count => _lines.Reader.Count;

    /// <summary>Lines dropped because the buffer was full, since it was made.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Queues one JSON line (with its newline) read at <paramref name="position"/>; when full, drops it and counts it. Never blocks.</summary>
    public void Add(byte[] jsonLine, ShipPosition? position = null) => _lines.Writer.TryWrite(new BufferedLine(jsonLine, position));

    /// <summary>Waits for at least one line, then takes what is there up to <paramref name="maxLines"/> / about <paramref name="maxBytes"/>.</summary>
    public async ValueTask<List<BufferedLine>> TakeAsync(int maxLines, int maxBytes, CancellationToken ct)
    {
        var batch = new List<BufferedLine>();
        await _lines.Reader.WaitToReadAsync(ct).ConfigureAwait(false);
        var bytes = 0;
        while (batch.Count < maxLines && bytes < maxBytes && _lines.Reader.TryRead(out var line))
        {
            batch.Add(line);
            bytes += line.Json.Length;
        }
        return batch;
    }

    /// <summary><see cref="TakeAsync"/> without the positions.</summary>
    public async ValueTask<List<byte[]>> TakeBatchAsync(int maxLines, int maxBytes, CancellationToken ct) =>
        [.. (await TakeAsync(maxLines, maxBytes, ct).ConfigureAwait(false)).Select(l => l.Json)];
}
