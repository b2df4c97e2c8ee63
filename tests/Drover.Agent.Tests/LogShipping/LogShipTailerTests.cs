using System.Text.Json;
using Drover.Agent.Logs.Shipping;
using Drover.Agent.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;

namespace Drover.Agent.Tests.LogShipping;

/// <summary>The tailer on real sandbox files, polled by the test.</summary>
public sealed class LogShipTailerTests : IDisposable
{
    private readonly TestDir _dir = new();
    private readonly ManualTimeProvider _time = new(new DateTimeOffset(2026, 11, 30, 10, 0, 0, TimeSpan.Zero));
    private readonly LogShipBuffer _buffer = new(1000);

    public void Dispose() => _dir.Dispose();

    private string Sandbox(string id, string stdout = "", string stderr = "")
    {
        var path = _dir.Combine(id);
        Directory.CreateDirectory(path);
        File.WriteAllText(Path.Combine(path, "stdout"), stdout);
        File.WriteAllText(Path.Combine(path, "stderr"), stderr);
        return path;
    }

    private List<JsonElement> Drain()
    {
        var lines = new List<JsonElement>();
        while (_buffer.Count > 0)
        {
            foreach (var l in _buffer.TakeBatchAsync(1000, int.MaxValue, CancellationToken.None).AsTask().Result)
                lines.Add(JsonDocument.Parse(l).RootElement.Clone());
        }
        return lines;
    }

    private static string[] Texts(List<JsonElement> lines) => [.. lines.Select(l => $"{l.GetProperty("stream").GetString()}:{l.GetProperty("line").GetString()}")];

    [Fact]
    public void Ships_new_lines_of_both_streams_with_app_task_host_and_read_time()
    {
        var tailer = new LogShipTailer(_buffer, "host-1", _time, NullLogger.Instance);
        tailer.Poll([]);
        var sb = Sandbox("web.1");
        var source = new ShipSource("web.1", "/prod/web", sb, false);
        File.AppendAllText(Path.Combine(sb, "stdout"), "one\ntwo\npart");
        File.AppendAllText(Path.Combine(sb, "stderr"), "oops\n");
        tailer.Poll([source]);
        var lines = Drain();
        Assert.Equal(["stdout:one", "stdout:two", "stderr:oops"], Texts(lines));
        Assert.All(lines, l =>
        {
            Assert.Equal("/prod/web", l.GetProperty("app").GetString());
            Assert.Equal("web.1", l.GetProperty("task").GetString());
            Assert.Equal("host-1", l.GetProperty("host").GetString());
            Assert.Equal("2026-11-30T10:00:00.0000000Z", l.GetProperty("time").GetString());
        });

        _time.Advance(TimeSpan.FromSeconds(2));
        File.AppendAllText(Path.Combine(sb, "stdout"), "ial\n");
        tailer.Poll([source]);
        lines = Drain();
        Assert.Equal(["stdout:partial"], Texts(lines));
        Assert.Equal("2026-11-30T10:00:02.0000000Z", lines[0].GetProperty("time").GetString());
        tailer.Poll([source]);
        Assert.Empty(Drain());
    }

    [Fact]
    public void Starts_again_from_0_after_copytruncate_and_flushes_the_last_line_of_an_ended_task()
    {
        var tailer = new LogShipTailer(_buffer, "h", _time, NullLogger.Instance);
        tailer.Poll([]);
        var sb = Sandbox("t");
        File.WriteAllText(Path.Combine(sb, "stdout"), "before rotation, a long line\n");
        tailer.Poll([new ShipSource("t", "/a", sb, false)]);
        Assert.Equal(["stdout:before rotation, a long line"], Texts(Drain()));

        File.WriteAllText(Path.Combine(sb, "stdout"), "after\n"); // truncated and written again: shorter than before
        tailer.Poll([new ShipSource("t", "/a", sb, false)]);
        Assert.Equal(["stdout:after"], Texts(Drain()));

        File.AppendAllText(Path.Combine(sb, "stderr"), "dying words without newline");
        tailer.Poll([new ShipSource("t", "/a", sb, true)]);
        Assert.Equal(["stderr:dying words without newline"], Texts(Drain()));
        File.AppendAllText(Path.Combine(sb, "stderr"), "never shipped\n");
        tailer.Poll([new ShipSource("t", "/a", sb, true)]);
        Assert.Empty(Drain());
    }

    [Fact]
    public void Lines_written_just_before_a_rotation_are_read_from_the_tail_of_stream_1_before_the_new_file()
    {
        var tailer = new LogShipTailer(_buffer, "h", _time, NullLogger.Instance);
        tailer.Poll([]);
        var sb = Sandbox("t");
        var source = new ShipSource("t", "/a", sb, false);
        var stdout = Path.Combine(sb, "stdout");
        File.WriteAllText(stdout, new string('x', 5000) + "\nshipped\n");
        tailer.Poll([source]);
        Assert.Equal(2, Drain().Count);

        // written, then rotated before the next poll; the last line is finished only in the new file
        File.AppendAllText(stdout, "just before\nsplit by the rot");
        Assert.NotNull(Drover.Agent.Logs.LogRotation.RotateIfFull(sb, "stdout", new Drover.Agent.Logs.LogRotationPolicy(4096, 3)));
        File.AppendAllText(stdout, "ation\nafter\n");
        tailer.Poll([source]);
        Assert.Equal(["stdout:just before", "stdout:split by the rotation", "stdout:after"], Texts(Drain()));

        // and the next rotation again, now from the new file's offset
        File.AppendAllText(stdout, new string('y', 4083) + "\n"); // exactly the cap: all of it goes to stdout.1
        Assert.NotNull(Drover.Agent.Logs.LogRotation.RotateIfFull(sb, "stdout", new Drover.Agent.Logs.LogRotationPolicy(4096, 3)));
        tailer.Poll([source]);
        Assert.Equal([$"stdout:{new string('y', 4083)}"], Texts(Drain()));
    }

    [Fact]
    public void Tasks_there_at_the_first_poll_are_followed_from_their_end_and_later_ones_from_the_start()
    {
        var old = Sandbox("old", stdout: "history\n");
        var tailer = new LogShipTailer(_buffer, "h", _time, NullLogger.Instance);
        tailer.Poll([new ShipSource("old", "/a", old, false)]);
        Assert.Empty(Drain());
        File.AppendAllText(Path.Combine(old, "stdout"), "fresh\n");
        var young = Sandbox("young", stdout: "from the start\n");
        tailer.Poll([new ShipSource("old", "/a", old, false), new ShipSource("young", "/a", young, false)]);
        Assert.Equal(["stdout:fresh", "stdout:from the start"], Texts(Drain()));
    }

    [Fact]
    public void Cuts_long_lines_and_marks_them()
    {
        var tailer = new LogShipTailer(_buffer, "h", _time, NullLogger.Instance, maxLineBytes: 10);
        tailer.Poll([]);
        var sb = Sandbox("t", stdout: new string('x', 25) + "\nok\n");
        tailer.Poll([new ShipSource("t", "/a", sb, false)]);
        var lines = Drain();
        Assert.Equal(["stdout:xxxxxxxxxx", "stdout:ok"], Texts(lines));
        Assert.True(lines[0].GetProperty("truncated").GetBoolean());
        Assert.False(lines[1].TryGetProperty("truncated", out _));
    }
}
