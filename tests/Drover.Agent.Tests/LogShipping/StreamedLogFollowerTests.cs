using System.Text;
using System.Text.Json;
using Drover.Agent.Docker;
using Drover.Agent.Drivers;
using Drover.Agent.Logs.Shipping;
using Drover.Agent.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;

namespace Drover.Agent.Tests.LogShipping;

/// <summary>Following a container's log stream: lines with Docker's times, reconnecting after the last message while it runs.</summary>
public sealed class StreamedLogFollowerTests
{
    /// <summary>A container whose log is served as canned streams, one per open; then it stops.</summary>
    private sealed class FakeOutput(params byte[][] streams) : IStreamedOutput
    {
        public readonly List<long?> Sinces = [];
        public bool Gone;

        public Task<Stream?> OpenOutputAsync(long? sinceUnixNanos, CancellationToken ct)
        {
            lock (Sinces)
            {
                Sinces.Add(sinceUnixNanos);
                if (Gone) return Task.FromResult<Stream?>(null);
                return Task.FromResult<Stream?>(new MemoryStream(Sinces.Count <= streams.Length ? streams[Sinces.Count - 1] : []));
            }
        }

        public Task<bool> IsRunningAsync(CancellationToken ct)
        {
            lock (Sinces) return Task.FromResult(Sinces.Count < streams.Length);
        }
    }

    private static byte[] Frame(DockerStreamType type, string stamp, string text) =>
        DockerLogFrames.Encode(type, Encoding.UTF8.GetBytes($"{stamp} {text}"));

    private static List<JsonElement> Lines(LogShipBuffer buffer)
    {
        var batch = buffer.Count == 0 ? [] : buffer.TakeBatchAsync(1000, 1 << 20, CancellationToken.None).AsTask().Result;
        return [.. batch.Select(b => JsonDocument.Parse(b).RootElement.Clone())];
    }

    private static async Task RunToEnd(StreamedLogFollower follower, long? since, ManualTimeProvider time)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var run = follower.RunAsync(since, cts.Token);
        while (!run.IsCompleted && !cts.IsCancellationRequested)
        {
            time.Advance(TimeSpan.FromSeconds(1));
            await Task.Delay(5);
        }
        await run;
    }

    [Fact]
    public async Task A_stream_that_ends_while_the_container_runs_is_reopened_at_the_nanosecond_of_the_last_message()
    {
        byte[] first = [.. Frame(DockerStreamType.Stdout, "2026-11-29T22:17:55.000000001Z", "one\n"), .. Frame(DockerStreamType.Stderr, "2026-11-29T22:17:55.123456789Z", "two\n")];
        var second = Frame(DockerStreamType.Stdout, "2026-11-29T22:17:56.5Z", "three, unfinished");
        var output = new FakeOutput(first, second);
        var buffer = new LogShipBuffer(100);
        var time = new ManualTimeProvider();
        var follower = new StreamedLogFollower("t1", "/web", output, buffer, "host-1", time, NullLogger.Instance);

        await RunToEnd(follower, 0, time);

        Assert.Equal([0L, 1795990675123456789L], output.Sinces);
        var lines = Lines(buffer);
        Assert.Equal(["one", "two", "three, unfinished"], lines.Select(l => l.GetProperty("line").GetString()));
        Assert.Equal(["stdout", "stderr", "stdout"], lines.Select(l => l.GetProperty("stream").GetString()));
        Assert.Equal(["2026-11-29T22:17:55.0000000Z", "2026-11-29T22:17:55.1234567Z", "2026-11-29T22:17:56.5000000Z"], lines.Select(l => l.GetProperty("time").GetString()));
        Assert.All(lines, l => Assert.Equal("/web", l.GetProperty("app").GetString()));
        Assert.True(follower.Connected);
    }

    [Fact]
    public async Task A_line_split_across_a_reconnect_is_shipped_once_whole()
    {
        var output = new FakeOutput(Frame(DockerStreamType.Stdout, "2026-11-29T22:17:55Z", "hal"), Frame(DockerStreamType.Stdout, "2026-11-29T22:17:56Z", "f a line\n"));
        var buffer = new LogShipBuffer(100);
        var time = new ManualTimeProvider();
        var follower = new StreamedLogFollower("t1", "/web", output, buffer, "h", time, NullLogger.Instance);
        await RunToEnd(follower, null, time);
        Assert.Equal([null, 1795990675000000000L], output.Sinces);
        Assert.Equal(["half a line"], Lines(buffer).Select(l => l.GetProperty("line").GetString()));
    }

    [Fact]
    public async Task A_garbled_stream_is_reported_and_reopened_and_a_container_gone_is_the_end()
    {
        var output = new FakeOutput([1, 9, 9, 9, 0, 0, 0, 1, 0], Frame(DockerStreamType.Stdout, "2026-11-29T22:17:55Z", "after\n"));
        var buffer = new LogShipBuffer(100);
        var time = new ManualTimeProvider();
        var follower = new StreamedLogFollower("t1", "/web", output, buffer, "h", time, NullLogger.Instance);
        await RunToEnd(follower, 0, time);
        Assert.Equal(["after"], Lines(buffer).Select(l => l.GetProperty("line").GetString()));

        var gone = new FakeOutput { Gone = true };
        var never = new StreamedLogFollower("t2", "/web", gone, buffer, "h", time, NullLogger.Instance);
        await RunToEnd(never, 0, time);
        Assert.False(never.Connected);
        Assert.Single(gone.Sinces);
    }

    [Fact(Timeout = 20_000)]
    public async Task Lines_carry_their_message_time_and_a_restart_resumes_at_the_acknowledged_nanosecond()
    {
        using var dir = new TestDir();
        var registry = LogShipRegistry.Load(dir.Combine(LogShipRegistry.FileName), NullLogger.Instance);
        registry.Acknowledge([new ShipPosition("acked", ShipPosition.Docker, 1_795_990_675_000_000_001)]);
        registry.SaveIfChanged();
        var restarted = LogShipRegistry.Load(dir.Combine(LogShipRegistry.FileName), NullLogger.Instance);

        var buffer = new LogShipBuffer(100);
        var time = new ManualTimeProvider();
        var acked = new FakeOutput(Frame(DockerStreamType.Stdout, "2026-11-29T22:17:56.000000002Z", "after\n"), []);
        var unacked = new FakeOutput([], []);
        await using (var followers = new StreamedLogFollowers(buffer, "h", time, NullLogger.Instance, CancellationToken.None, restarted))
        {
            followers.Poll([new StreamedSource("acked", "/a", acked, false), new StreamedSource("unacked", "/a", unacked, false)]);
            await Eventually.True(() => buffer.Count == 1, "the line after the acknowledged one was queued");
            await Eventually.True(() => { lock (unacked.Sinces) return unacked.Sinces.Count > 0; }, "the other container's stream was opened");
        }
        Assert.Equal(1_795_990_675_000_000_001, acked.Sinces[0]);
        // the registry was read, so a container with nothing acknowledged is followed from its start
        Assert.Equal(0, unacked.Sinces[0]);
        var line = Assert.Single(await buffer.TakeAsync(10, 1 << 20, CancellationToken.None));
        Assert.Equal(new ShipPosition("acked", ShipPosition.Docker, 1_795_990_676_000_000_002, 0, 1), line.Position);
    }

    private const long T = 1_795_990_675_000_000_000L;

    private static DockerLogFrame Message(DockerStreamType type, long at, string text) =>
        new(type, Encoding.UTF8.GetBytes($"{FakeDockerd.Stamp(at)} {text}"));

    private static List<(string Line, ShipPosition? Position)> Queued(LogShipBuffer buffer) =>
        buffer.Count == 0 ? [] : [.. buffer.TakeAsync(1000, 1 << 20, CancellationToken.None).AsTask().Result
            .Select(b => (JsonDocument.Parse(b.Json).RootElement.GetProperty("line").GetString()!, b.Position))];

    [Fact]
    public void A_line_is_positioned_after_every_message_it_holds_whole_and_before_one_it_holds_in_part()
    {
        var buffer = new LogShipBuffer(100);
        var follower = new StreamedLogFollower("t", "/a", new FakeOutput(), buffer, "h", new ManualTimeProvider(), NullLogger.Instance);

        follower.Consume(Message(DockerStreamType.Stdout, T, "a\n"));
        follower.Consume(Message(DockerStreamType.Stdout, T, "b\nc\n"));   // same nanosecond: two lines of one message
        follower.Consume(Message(DockerStreamType.Stdout, T + 1, "d\npar"));
        follower.Consume(Message(DockerStreamType.Stderr, T + 2, "e\n"));   // stdout's "par" from T+1 is not shipped yet
        follower.Consume(Message(DockerStreamType.Stdout, T + 3, "tial\n"));

        Assert.Equal<(string, ShipPosition?)>([
            ("a", new ShipPosition("t", ShipPosition.Docker, T, 0, 1)),
            ("b", new ShipPosition("t", ShipPosition.Docker, T, 0, 1)),  // its message is not whole yet: resume re-reads it
            ("c", new ShipPosition("t", ShipPosition.Docker, T, 0, 2)),
            ("d", new ShipPosition("t", ShipPosition.Docker, T, 0, 2)),
            ("e", new ShipPosition("t", ShipPosition.Docker, T, 0, 2)),  // held back by stdout's partial line
            ("partial", new ShipPosition("t", ShipPosition.Docker, T + 3, 0, 1)),
        ], Queued(buffer));
    }

    /// <summary>Serves what dockerd would for since: the messages at or after it, in order.</summary>
    private sealed class SinceOutput(params (long At, string Text)[] messages) : IStreamedOutput
    {
        public readonly List<long?> Sinces = [];

        public Task<Stream?> OpenOutputAsync(long? sinceUnixNanos, CancellationToken ct)
        {
            lock (Sinces) Sinces.Add(sinceUnixNanos);
            var bytes = messages.Where(m => m.At >= (sinceUnixNanos ?? 0))
                .SelectMany(m => DockerLogFrames.Encode(DockerStreamType.Stdout, Encoding.UTF8.GetBytes($"{FakeDockerd.Stamp(m.At)} {m.Text}"))).ToArray();
            return Task.FromResult<Stream?>(new MemoryStream(bytes));
        }

        public Task<bool> IsRunningAsync(CancellationToken ct) => Task.FromResult(false);
    }

    [Theory(Timeout = 20_000)]
    [InlineData("""{"positions":[{"task":"t","stream":"docker","offset":1795990675000000000,"generation":0,"taken":1}]}""", new[] { "b", "c", "d" })]
    [InlineData("""{"positions":[{"task":"t","stream":"docker","offset":1795990675000000000,"generation":0,"taken":3}]}""", new[] { "d" })]
    // a file from before "taken": its offset was "all of that nanosecond shipped", which a cut could make untrue; read as
    // none taken there, so the nanosecond is shipped again (at-least-once allows a repeat, never a loss)
    [InlineData("""{"positions":[{"task":"t","stream":"docker","offset":1795990675000000000,"generation":0}]}""", new[] { "a", "b", "c", "d" })]
    public async Task A_restart_resumes_at_the_acknowledged_nanosecond_and_skips_only_the_messages_shipped_there(string registryFile, string[] expected)
    {
        using var dir = new TestDir();
        File.WriteAllText(dir.Combine(LogShipRegistry.FileName), registryFile);
        var registry = LogShipRegistry.Load(dir.Combine(LogShipRegistry.FileName), NullLogger.Instance);
        var output = new SinceOutput((T - 5, "before\n"), (T, "a\n"), (T, "b\n"), (T, "c\n"), (T + 7, "d\n"));
        var buffer = new LogShipBuffer(100);
        await using (var followers = new StreamedLogFollowers(buffer, "h", new ManualTimeProvider(), NullLogger.Instance, CancellationToken.None, registry))
        {
            followers.Poll([new StreamedSource("t", "/a", output, false)]);
            await Eventually.True(() => followers.Count == 0, "the follower read the stopped container's log");
        }
        Assert.Equal(T, output.Sinces[0]);
        Assert.Equal(expected, Queued(buffer).Select(l => l.Line));
    }

    [Fact]
    public void Positions_with_their_count_survive_the_registry_file()
    {
        using var dir = new TestDir();
        var registry = LogShipRegistry.Load(dir.Combine(LogShipRegistry.FileName), NullLogger.Instance);
        registry.Acknowledge([new ShipPosition("t", ShipPosition.Docker, T, 0, 4), new ShipPosition("t", "stdout", 10, 2)]);
        registry.SaveIfChanged();
        var json = File.ReadAllText(dir.Combine(LogShipRegistry.FileName));
        Assert.Contains("\"taken\":4", json);
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(json, "taken"));  // files' positions have no count
        var read = LogShipRegistry.Load(dir.Combine(LogShipRegistry.FileName), NullLogger.Instance);
        Assert.Equal(new ShipPosition("t", ShipPosition.Docker, T, 0, 4), read.Find("t", ShipPosition.Docker));
        Assert.Equal(new ShipPosition("t", "stdout", 10, 2), read.Find("t", "stdout"));
    }
}
