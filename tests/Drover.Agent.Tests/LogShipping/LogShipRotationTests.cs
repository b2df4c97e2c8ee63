using System.Text.Json;
using Drover.Agent.Logs;
using Drover.Agent.Logs.Shipping;
using Drover.Agent.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;

namespace Drover.Agent.Tests.LogShipping;

/// <summary>Rotations the tailer did not see one by one (several within one poll, or while the agent was down), on real files.</summary>
public sealed class LogShipRotationTests : IDisposable
{
    private readonly TestDir _dir = new();
    private readonly ManualTimeProvider _time = new(new DateTimeOffset(2026, 11, 30, 10, 0, 0, TimeSpan.Zero));
    private readonly LogShipBuffer _buffer = new(100_000);
    private readonly string _sandbox;
    private readonly string _stdout;
    private readonly List<long> _lost = [];
    private readonly LogCapture _logs = new();

    public LogShipRotationTests()
    {
        _sandbox = _dir.Combine("t");
        Directory.CreateDirectory(_sandbox);
        _stdout = Path.Combine(_sandbox, "stdout");
        File.WriteAllText(_stdout, "");
        File.WriteAllText(Path.Combine(_sandbox, "stderr"), "");
    }

    public void Dispose() => _dir.Dispose();

    private LogShipTailer Tailer(LogShipRegistry? registry = null) =>
        new(_buffer, "h", _time, _logs.Factory().CreateLogger("ship"), registry: registry, bytesLost: _lost.Add);

    private void Poll(LogShipTailer tailer) => tailer.Poll([new ShipSource("t", "/a", _sandbox, false)]);

    private List<BufferedLine> Take() => _buffer.Count == 0 ? [] : _buffer.TakeAsync(100_000, int.MaxValue, CancellationToken.None).AsTask().Result;

    private static string[] Texts(IEnumerable<BufferedLine> lines) =>
        [.. lines.Select(l => JsonDocument.Parse(l.Json).RootElement.GetProperty("line").GetString()!)
            .Where(l => !l.StartsWith("filler", StringComparison.Ordinal))];

    /// <summary>Writes a named line and filler up to exactly the cap (a burst over it would be cut), then rotates.</summary>
    private void WriteAndRotate(string line, LogRotationPolicy policy)
    {
        var room = policy.MaxSize - new FileInfo(_stdout).Length - (line.Length + 1);
        File.AppendAllText(_stdout, line + "\n" + "filler" + new string('.', (int)room - 7) + "\n");
        Assert.Equal(policy.MaxSize, new FileInfo(_stdout).Length);
        Assert.NotNull(LogRotation.RotateIfFull(_sandbox, "stdout", policy));
    }

    [Fact]
    public void Two_rotations_within_one_poll_lose_nothing_the_older_file_comes_first()
    {
        var policy = new LogRotationPolicy(4096, 5);
        var tailer = Tailer();
        Poll(tailer);
        File.AppendAllText(_stdout, "one\n");
        Poll(tailer);
        Assert.Equal(["one"], Texts(Take()));

        WriteAndRotate("two", policy);        // -> stdout.2 after the next rotation
        File.AppendAllText(_stdout, "three, split ");
        WriteAndRotate("by a rotation", policy);  // -> stdout.1
        File.AppendAllText(_stdout, "four\n");
        Poll(tailer);

        Assert.Equal(["two", "three, split by a rotation", "four"], Texts(Take()));
        Assert.Empty(_lost);
        Poll(tailer);
        Assert.Empty(Take());
    }

    [Fact]
    public void A_restart_after_three_rotations_while_down_reads_every_kept_file_from_the_acknowledged_position()
    {
        var policy = new LogRotationPolicy(4096, 5);
        File.WriteAllText(_stdout, "acked\nnot acked\n");
        var registry = LogShipRegistry.Load(_dir.Combine(LogShipRegistry.FileName), NullLogger.Instance);
        registry.Acknowledge([new ShipPosition("t", "stdout", "acked\n".Length, 0)]);
        registry.SaveIfChanged();
        WriteAndRotate("a", policy);
        WriteAndRotate("b", policy);
        WriteAndRotate("c", policy);
        File.AppendAllText(_stdout, "live\n");

        Poll(Tailer(LogShipRegistry.Load(_dir.Combine(LogShipRegistry.FileName), NullLogger.Instance)));

        var lines = Take();
        Assert.Equal(["not acked", "a", "b", "c", "live"], Texts(lines));
        // positions name the generation of the file each line was in, so the next restart goes on from there
        Assert.Equal(new ShipPosition("t", "stdout", "acked\nnot acked\n".Length, 0), lines[0].Position);
        Assert.Equal(new ShipPosition("t", "stdout", "live\n".Length, 3), lines[^1].Position);
        Assert.Empty(_lost);
    }

    [Fact]
    public void Files_rotated_off_the_end_before_they_were_read_are_counted_lost_and_named_in_a_warning()
    {
        var policy = new LogRotationPolicy(4096, 2); // stdout.1 only
        var tailer = Tailer();
        Poll(tailer);
        File.AppendAllText(_stdout, "read\n");
        Poll(tailer);
        Take();
        var gen0 = new FileInfo(_stdout).Length;
        WriteAndRotate("gone 1", policy);
        var gen0End = LogRotation.ReadMark(_sandbox, "stdout").End;
        WriteAndRotate("gone 2", policy);
        var gen1End = LogRotation.ReadMark(_sandbox, "stdout").End;
        WriteAndRotate("kept", policy);
        File.AppendAllText(_stdout, "live\n");

        Poll(tailer);

        Assert.Equal(["kept", "live"], Texts(Take()));
        Assert.Equal([gen0End - gen0 + gen1End], _lost);
        var warning = Assert.Single(_logs.Events(5008));
        Assert.Contains("task t's stdout", warning.Text);
        Assert.Contains($"lost {gen0End - gen0 + gen1End} bytes", warning.Text);
    }

    [Fact]
    public void A_rotated_file_larger_than_one_poll_reads_is_finished_over_the_next_polls()
    {
        var tailer = Tailer();
        Poll(tailer);
        var big = new string('y', 1000);
        using (var w = new StreamWriter(_stdout, append: true))
        {
            w.Write("first\n");
            for (var i = 0; i < LogShipTailer.MaxReadPerPoll / 1000 + 10; i++) w.Write(big + "\n");
            w.Write("last of the old file\n");
        }
        // a cap of exactly its length: rotated whole
        Assert.NotNull(LogRotation.RotateIfFull(_sandbox, "stdout", new LogRotationPolicy(new FileInfo(_stdout).Length, 3)));
        File.AppendAllText(_stdout, "new\n");

        var texts = new List<string>();
        for (var poll = 0; poll < 5; poll++)
        {
            Poll(tailer);
            texts.AddRange(Texts(Take()).Where(t => t != big));
        }

        Assert.Equal(["first", "last of the old file", "new"], texts);
        Assert.Empty(_lost);
    }

    [Fact]
    public void Marks_keep_the_history_of_rotations_newest_first()
    {
        var policy = new LogRotationPolicy(4096, 3);
        WriteAndRotate("a", policy);
        WriteAndRotate("b", policy);
        var marks = LogRotation.ReadMarks(_sandbox, "stdout");
        Assert.Equal([2L, 1L], marks.Select(m => m.Generation));
        Assert.Equal(marks[0], LogRotation.ReadMark(_sandbox, "stdout"));
        // a mark file from before the history (one line) still reads
        File.WriteAllText(LogRotation.MarkPath(_sandbox, "stdout"), "7 0 5000\n");
        Assert.Equal(new LogRotationMark(7, 0, 5000), LogRotation.ReadMark(_sandbox, "stdout"));
    }
}
