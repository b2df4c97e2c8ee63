using Drover.Agent.Logs.Shipping;

namespace Drover.Agent.Tests.LogShipping;

public sealed class LogShipBufferTests
{
    private static byte[] L(int n) => [(byte)('0' + n), (byte)'\n'];

    [Fact(Timeout = 10_000)]
    public async Task When_full_drops_the_newest_and_counts_without_blocking()
    {
        var reported = 0;
        var buffer = new LogShipBuffer(3, n => reported += n);
        for (var i = 0; i < 5; i++) buffer.Add(L(i));
        Assert.Equal(3, buffer.Count);
        Assert.Equal(2, buffer.Dropped);
        Assert.Equal(2, reported);
        var batch = await buffer.TakeBatchAsync(10, 1 << 20, CancellationToken.None);
        // the oldest lines were kept: what the collector gets is the output up to the gap
        Assert.Equal([L(0), L(1), L(2)], batch);
        buffer.Add(L(7));
        Assert.Equal(2, buffer.Dropped);
        Assert.Equal([L(7)], await buffer.TakeBatchAsync(10, 1 << 20, CancellationToken.None));
    }

    [Fact(Timeout = 10_000)]
    public async Task Batches_are_bounded_in_lines_and_bytes_and_wait_for_a_first_line()
    {
        var buffer = new LogShipBuffer(100);
        var waiting = buffer.TakeBatchAsync(2, 1 << 20, CancellationToken.None).AsTask();
        Assert.False(waiting.IsCompleted);
        for (var i = 0; i < 5; i++) buffer.Add(L(i));
        Assert.Equal(2, (await waiting).Count);
        Assert.Equal(2, (await buffer.TakeBatchAsync(100, 3, CancellationToken.None)).Count); // 2 + 2 bytes passes 3
        Assert.Single(await buffer.TakeBatchAsync(100, 1 << 20, CancellationToken.None));
        Assert.Throws<ArgumentOutOfRangeException>(() => new LogShipBuffer(0));
    }
}
