using System.Collections.Concurrent;
using System.Text;
using Drover.Agent.Logs.Shipping;
using Drover.Agent.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;

namespace Drover.Agent.Tests.LogShipping;

/// <summary>The sender's reconnect backoff and send timeout, on fake time with a fake collector.</summary>
public sealed class LogShipSenderTests
{
    private static readonly LogShipSenderOptions Options = new() { Jitter = 0 };

    private sealed class Collector
    {
        public int FailConnects;
        public bool Hang;
        public readonly ConcurrentQueue<string> Received = new();

        public Task<ILogSink> ConnectAsync(CancellationToken ct)
        {
            if (Interlocked.Decrement(ref FailConnects) >= 0) throw new IOException("connection refused");
            return Task.FromResult<ILogSink>(new Sink(this));
        }

        private sealed class Sink(Collector c) : ILogSink
        {
            public async Task SendAsync(IReadOnlyList<byte[]> lines, CancellationToken ct)
            {
                if (c.Hang) await Task.Delay(Timeout.Infinite, ct); // a collector that stopped reading
                foreach (var l in lines) c.Received.Enqueue(Encoding.UTF8.GetString(l));
            }

            public ValueTask DisposeAsync() => ValueTask.CompletedTask;
        }
    }

    private static (LogShipSender Sender, LogShipBuffer Buffer, Task Run, CancellationTokenSource Stop) Start(Collector c, ManualTimeProvider time, Action<int>? shipped = null)
    {
        var buffer = new LogShipBuffer(100);
        var sender = new LogShipSender(buffer, c.ConnectAsync, time, NullLogger.Instance, "tcp://test:1", Options, shipped);
        var stop = new CancellationTokenSource();
        return (sender, buffer, Task.Run(() => sender.RunAsync(stop.Token)), stop);
    }

    [Fact(Timeout = 20_000)]
    public async Task Reconnects_with_doubling_backoff_then_delivers_the_held_line_and_resets()
    {
        var time = new ManualTimeProvider();
        var c = new Collector { FailConnects = 3 };
        var shipped = 0;
        var (sender, buffer, run, stop) = Start(c, time, n => Interlocked.Add(ref shipped, n));
        buffer.Add("a\n"u8.ToArray());

        // 0.5 s, 1 s, 2 s between attempts (Options.InitialBackoff doubling), measured on the fake clock
        foreach (var (attempt, delay) in new[] { (1, 500), (2, 1000), (3, 2000) })
        {
            await Eventually.True(() => sender.Connects == attempt && time.ActiveTimers == 1, $"attempt {attempt} failed and waits");
            time.Advance(TimeSpan.FromMilliseconds(delay - 1));
            Assert.Equal(attempt, sender.Connects);
            time.Advance(TimeSpan.FromMilliseconds(1));
        }
        await Eventually.True(() => c.Received.Count == 1, "the held line arrived after the collector came up");
        Assert.Equal(["a\n"], c.Received);
        Assert.Equal(4, sender.Connects);
        Assert.Equal(1, sender.Shipped);
        Assert.Equal(1, shipped);

        // a send that makes no progress is given up after SendTimeout; a success before reset the backoff, so the
        // reconnect waits 0.5 s again, not 4 s
        c.Hang = true;
        buffer.Add("b\n"u8.ToArray());
        await Eventually.True(() => time.ActiveTimers == 1, "the send waits, under its timeout");
        time.Advance(Options.SendTimeout);
        c.Hang = false;
        await Eventually.True(() => time.ActiveTimers == 1 && sender.Connects == 4, "the hung connection was dropped and the sender waits");
        time.Advance(TimeSpan.FromMilliseconds(499));
        Assert.Equal(4, sender.Connects);
        time.Advance(TimeSpan.FromMilliseconds(1));
        await Eventually.True(() => c.Received.Count == 2, "the line that hung was sent again on a new connection");
        Assert.Equal(["a\n", "b\n"], c.Received);
        Assert.Equal(5, sender.Connects);
        Assert.Equal(2, sender.Shipped);

        await stop.CancelAsync();
        await run;
    }

    [Fact(Timeout = 20_000)]
    public async Task A_collector_that_stops_reading_leaves_the_buffer_to_drop_the_newest()
    {
        var time = new ManualTimeProvider();
        var c = new Collector { Hang = true };
        var (sender, buffer, run, stop) = Start(c, time);
        buffer.Add("first\n"u8.ToArray());
        await Eventually.True(() => sender.Connects == 1 && buffer.Count == 0, "the first line is being sent");
        for (var i = 0; i < 150; i++) buffer.Add(Encoding.UTF8.GetBytes($"{i}\n"));
        Assert.Equal(100, buffer.Count);
        Assert.Equal(50, buffer.Dropped);
        Assert.Empty(c.Received);
        await stop.CancelAsync();
        await run; // stopping does not wait for the hung send
    }
}
