using System.Text;
using System.Text.Json;
using Drover.Agent.Logs;
using Drover.Agent.Logs.Shipping;
using Drover.Agent.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;

namespace Drover.Agent.Tests.LogShipping;

/// <summary>
/// Positions through the buffer and the sender (acknowledged only once the sink took the batch), and a new tailer
/// (a restarted agent) going on from the acknowledged position.
/// </summary>
public sealed class LogShipResumeTests : IDisposable
{
    private readonly TestDir _dir = new();
    private readonly ManualTimeProvider _time = new(new DateTimeOffset(2026, 11, 30, 10, 0, 0, TimeSpan.Zero));

    public void Dispose() => _dir.Dispose();

    private LogShipRegistry NewRegistry() => LogShipRegistry.Load(_dir.Combine(LogShipRegistry.FileName), NullLogger.Instance);

    private string Sandbox(string id, string stdout)
    {
        var path = _dir.Combine("sandboxes", id);
        Directory.CreateDirectory(path);
        File.WriteAllText(Path.Combine(path, "stdout"), stdout);
        File.WriteAllText(Path.Combine(path, "stderr"), "");
        return path;
    }

    private static List<BufferedLine> Take(LogShipBuffer buffer) =>
        buffer.Count == 0 ? [] : buffer.TakeAsync(1000, int.MaxValue, CancellationToken.None).AsTask().Result;

    private static string[] Texts(IEnumerable<BufferedLine> lines) =>
        [.. lines.Select(l => JsonDocument.Parse(l.Json).RootElement.GetProperty("line").GetString()!)];

    [Fact]
    public void Each_line_carries_the_offset_just_past_it_and_its_rotation_generation()
    {
        var buffer = new LogShipBuffer(100);
        var tailer = new LogShipTailer(buffer, "h", _time, NullLogger.Instance);
        tailer.Poll([]);
        var sb = Sandbox("t", "one\ntwo\r\nthr");
        tailer.Poll([new ShipSource("t", "/a", sb, false)]);
        Assert.Equal([new ShipPosition("t", "stdout", 4, 0), new ShipPosition("t", "stdout", 9, 0)], Take(buffer).Select(l => l.Position));
        // the unfinished line of an ended task ends at the file's end
        tailer.Poll([new ShipSource("t", "/a", sb, true)]);
        Assert.Equal([new ShipPosition("t", "stdout", 12, 0)], Take(buffer).Select(l => l.Position));
    }

    [Fact]
    public void A_restarted_tailer_goes_on_from_the_acknowledged_line_including_what_was_written_while_it_was_down()
    {
        var sb = Sandbox("t", "1\n2\n3\n");
        var registry = NewRegistry();
        registry.Acknowledge([new ShipPosition("t", "stdout", 4, 0)]); // "1" and "2" were taken by the collector
        registry.SaveIfChanged();
        File.AppendAllText(Path.Combine(sb, "stdout"), "4\n"); // while the agent was down

        var buffer = new LogShipBuffer(100);
        new LogShipTailer(buffer, "h", _time, NullLogger.Instance, registry: NewRegistry()).Poll([new ShipSource("t", "/a", sb, false)]);
        Assert.Equal(["3", "4"], Texts(Take(buffer)));
    }

    [Fact]
    public void A_task_without_a_position_is_read_from_its_start_when_the_registry_was_read_and_from_its_end_otherwise()
    {
        var sb = Sandbox("t", "history\n");
        var buffer = new LogShipBuffer(100);
        var fresh = NewRegistry(); // no file: shipping was not on before
        new LogShipTailer(buffer, "h", _time, NullLogger.Instance, registry: fresh).Poll([new ShipSource("t", "/a", sb, false)]);
        Assert.Empty(Take(buffer));

        fresh.SaveIfChanged(); // the agent ran with shipping, but nothing of "t" was acknowledged before it died
        new LogShipTailer(buffer, "h", _time, NullLogger.Instance, registry: NewRegistry()).Poll([new ShipSource("t", "/a", sb, false)]);
        Assert.Equal(["history"], Texts(Take(buffer)));
    }

    [Fact]
    public void After_a_rotation_while_down_the_rest_of_stream_1_comes_first_and_a_file_that_shrank_is_read_from_0()
    {
        var sb = Sandbox("t", new string('x', 5000) + "\nacked\nnot yet\n");
        var stdout = Path.Combine(sb, "stdout");
        var registry = NewRegistry();
        registry.Acknowledge([new ShipPosition("t", "stdout", 5001 + 6, 0)]);
        registry.Acknowledge([new ShipPosition("u", "stdout", 1000, 0)]);
        registry.SaveIfChanged();
        Assert.NotNull(LogRotation.RotateIfFull(sb, "stdout", new LogRotationPolicy(4096, 3)));
        File.AppendAllText(stdout, "after\n");
        var shrunk = Sandbox("u", "short\n");

        var buffer = new LogShipBuffer(100);
        new LogShipTailer(buffer, "h", _time, NullLogger.Instance, registry: NewRegistry())
            .Poll([new ShipSource("t", "/a", sb, false), new ShipSource("u", "/a", shrunk, false)]);
        var lines = Take(buffer);
        Assert.Equal(["not yet", "after", "short"], Texts(lines));
        Assert.Equal([new ShipPosition("t", "stdout", 5015, 0), new ShipPosition("t", "stdout", 6, 1), new ShipPosition("u", "stdout", 6, 0)],
            lines.Select(l => l.Position));
    }

    private sealed class GatedSink(TaskCompletionSource gate, List<string> received) : ILogSink
    {
        public async Task SendAsync(IReadOnlyList<byte[]> lines, CancellationToken ct)
        {
            await gate.Task.WaitAsync(ct);
            lock (received) received.AddRange(lines.Select(l => Encoding.UTF8.GetString(l)));
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    [Fact(Timeout = 20_000)]
    public async Task The_sender_acknowledges_positions_only_after_the_sink_took_the_batch_never_for_a_failed_send()
    {
        var registry = NewRegistry();
        var buffer = new LogShipBuffer(100);
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var received = new List<string>();
        var fail = 1;
        Task<ILogSink> Connect(CancellationToken ct) =>
            Interlocked.Decrement(ref fail) >= 0 ? throw new IOException("connection refused") : Task.FromResult<ILogSink>(new GatedSink(gate, received));
        var sender = new LogShipSender(buffer, Connect, _time, NullLogger.Instance, "tcp://test:1", new LogShipSenderOptions { Jitter = 0 }, registry: registry);
        using var stop = new CancellationTokenSource();
        var run = Task.Run(() => sender.RunAsync(stop.Token));

        buffer.Add("a\n"u8.ToArray(), new ShipPosition("t", "stdout", 2));
        buffer.Add("b\n"u8.ToArray(), new ShipPosition("t", "stdout", 4));
        buffer.Add("x\n"u8.ToArray()); // no position: delivered, nothing recorded
        await Eventually.True(() => sender.Connects == 1 && _time.ActiveTimers == 1, "the first connect failed and the sender backs off");
        Assert.Empty(registry.Positions);
        _time.Advance(TimeSpan.FromMilliseconds(500));
        await Eventually.True(() => sender.Connects == 2, "connected, the send waits for the collector");
        Assert.Empty(registry.Positions); // written but not taken yet
        gate.SetResult();
        await Eventually.True(() => sender.Shipped == 3, "the batch was taken");
        Assert.Equal([new ShipPosition("t", "stdout", 4)], registry.Positions);
        await stop.CancelAsync();
        await run;
    }
}
