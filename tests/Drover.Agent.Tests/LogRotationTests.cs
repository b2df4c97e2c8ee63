using System.Text;
using Drover.Agent.Drivers;
using Drover.Agent.Logs;
using Drover.Agent.Tests.Infrastructure;

namespace Drover.Agent.Tests;

/// <summary>copytruncate rotation of sandbox logs: sizes, file count, boundaries, and reading across rotated files.</summary>
public sealed class LogRotationTests : IDisposable
{
    private readonly TestDir _dir = new();
    private readonly string _sandbox;

    public LogRotationTests()
    {
        _sandbox = _dir.Combine("sandbox");
        Directory.CreateDirectory(_sandbox);
    }

    public void Dispose() => _dir.Dispose();

    private string Current => Path.Combine(_sandbox, "stdout");
    private string Rotated(int n) => LogRotation.RotatedPath(_sandbox, "stdout", n);

    private static string Lines(int from, int to) => string.Concat(Enumerable.Range(from, to - from + 1).Select(i => $"line {i:D10}\n")); // 16 bytes each: 256 lines fill 4 KiB

    [Fact]
    public void Below_the_cap_nothing_happens_and_at_the_cap_the_file_moves_to_dot_1_and_the_current_one_is_emptied()
    {
        var policy = new LogRotationPolicy(4096, 3);
        File.WriteAllText(Current, Lines(1, 255)); // 4080 bytes
        Assert.Null(LogRotation.RotateIfFull(_sandbox, "stdout", policy));
        Assert.False(File.Exists(Rotated(1)));

        File.AppendAllText(Current, Lines(256, 256)); // exactly at the cap
        var mark = LogRotation.RotateIfFull(_sandbox, "stdout", policy);

        Assert.Equal(new LogRotationMark(1, 0, 4096), mark);
        Assert.Equal(Lines(1, 256), File.ReadAllText(Rotated(1)));
        Assert.Equal(0, new FileInfo(Current).Length);
        Assert.Equal(mark, LogRotation.ReadMark(_sandbox, "stdout"));
    }

    [Fact]
    public void Older_files_shift_and_the_oldest_beyond_max_files_is_dropped()
    {
        var policy = new LogRotationPolicy(4096, 3); // current + .1 + .2
        for (var round = 1; round <= 4; round++)
        {
            File.WriteAllText(Current, new string((char)('a' + round), 4095) + "\n");
            Assert.Equal(round, LogRotation.RotateIfFull(_sandbox, "stdout", policy)!.Value.Generation);
        }
        Assert.StartsWith("e", File.ReadAllText(Rotated(1))); // round 4
        Assert.StartsWith("d", File.ReadAllText(Rotated(2))); // round 3
        Assert.False(File.Exists(Rotated(3)));
        Assert.Equal([Rotated(1), Rotated(2)], LogRotation.RotatedFiles(_sandbox, "stdout"));
    }

    [Fact]
    public void A_burst_over_the_cap_keeps_only_its_last_max_size_bytes_from_a_line_start()
    {
        var policy = new LogRotationPolicy(4096, 2);
        File.WriteAllText(Current, Lines(1, 1000)); // 16,000 bytes
        var mark = LogRotation.RotateIfFull(_sandbox, "stdout", policy)!.Value;

        var kept = File.ReadAllText(Rotated(1));
        Assert.True(kept.Length <= 4096, $"{kept.Length} bytes kept");
        Assert.StartsWith("line ", kept); // a whole line, not the middle of one
        Assert.EndsWith(Lines(1000, 1000), kept);
        Assert.Equal(16_000 - kept.Length, mark.Start);
        Assert.Equal(16_000, mark.End);
    }

    [Fact]
    public void With_one_file_the_log_is_only_truncated()
    {
        File.WriteAllText(Current, Lines(1, 500));
        Assert.NotNull(LogRotation.RotateIfFull(_sandbox, "stdout", new LogRotationPolicy(4096, 1)));
        Assert.Equal(0, new FileInfo(Current).Length);
        Assert.Empty(LogRotation.RotatedFiles(_sandbox, "stdout"));
    }

    [Fact]
    public void A_writer_holding_the_file_open_with_append_carries_on_at_the_start_of_the_emptied_file()
    {
        using var writer = new FileStream(Current, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete);
        writer.Write(Encoding.ASCII.GetBytes(Lines(1, 500)));
        writer.Flush();
        LogRotation.RotateIfFull(_sandbox, "stdout", new LogRotationPolicy(4096, 2));
        // .NET's Append mode is not O_APPEND, so position the writer as the kernel does for a task's O_APPEND descriptor.
        writer.Position = new FileInfo(Current).Length;
        writer.Write(Encoding.ASCII.GetBytes(Lines(501, 501)));
        writer.Flush();
        Assert.Equal(Lines(501, 501), File.ReadAllText(Current));
    }

    [Theory]
    [InlineData("10m", 10L << 20)]
    [InlineData("10MiB", 10L << 20)]
    [InlineData("512k", 512L << 10)]
    [InlineData("1G", 1L << 30)]
    [InlineData("4096", 4096)]
    public void Sizes_parse_with_binary_units(string text, long bytes)
    {
        Assert.True(ByteSizes.TryParse(text, out var parsed));
        Assert.Equal(bytes, parsed);
    }

    [Theory]
    [InlineData("")]
    [InlineData("m")]
    [InlineData("10x")]
    [InlineData("-1")]
    [InlineData("99999999999999999999g")]
    public void Bad_sizes_are_refused(string text) => Assert.False(ByteSizes.TryParse(text, out _));

    [Fact]
    public void Policies_below_4_KiB_or_one_file_are_refused_with_the_option_named()
    {
        Assert.Contains("logMaxSize: must be at least 4096 bytes, got 100", new LogRotationPolicy(100, 5).Validate());
        Assert.Contains("logMaxFiles: must be at least 1, got 0", new LogRotationPolicy(4096, 0).Validate());
        Assert.Empty(LogRotationPolicy.Default.Validate());
    }

    private async Task<string> ReadAsync(TaskLogRequest request, Func<bool>? isRunning = null, Func<Task>? whileFollowing = null)
    {
        await using var log = SandboxLog.Open(_sandbox, request, isRunning ?? (() => false), TimeProvider.System)!;
        using var output = new MemoryStream();
        var copy = log.CopyToAsync(output, CancellationToken.None);
        if (whileFollowing is not null) await whileFollowing();
        await copy;
        return Encoding.UTF8.GetString(output.ToArray());
    }

    [Fact(Timeout = 30_000)]
    public async Task Tail_and_whole_reads_go_back_into_rotated_files()
    {
        var policy = new LogRotationPolicy(4096, 3);
        File.WriteAllText(Current, Lines(1, 256));
        LogRotation.RotateIfFull(_sandbox, "stdout", policy);
        File.WriteAllText(Current, Lines(257, 512));
        LogRotation.RotateIfFull(_sandbox, "stdout", policy);
        File.WriteAllText(Current, Lines(513, 515));

        Assert.Equal(Lines(514, 515), await ReadAsync(new TaskLogRequest { Stream = "stdout", Tail = 2 }));
        Assert.Equal(Lines(511, 515), await ReadAsync(new TaskLogRequest { Stream = "stdout", Tail = 5 }));
        Assert.Equal(Lines(216, 515), await ReadAsync(new TaskLogRequest { Stream = "stdout", Tail = 300 })); // 3 + 256 + 41
        Assert.Equal(Lines(1, 515), await ReadAsync(new TaskLogRequest { Stream = "stdout" }));
        Assert.Equal(Lines(1, 515), await ReadAsync(new TaskLogRequest { Stream = "stdout", Tail = 5000 }));
        // an offset is of the current file
        Assert.Equal(Lines(514, 515), await ReadAsync(new TaskLogRequest { Stream = "stdout", Offset = 16 }));
    }

    [Fact(Timeout = 30_000)]
    public async Task A_follower_carries_on_through_a_rotation_without_losing_or_repeating_lines()
    {
        var policy = new LogRotationPolicy(4096, 3);
        File.WriteAllText(Current, Lines(1, 5));
        var running = true;
        var text = await ReadAsync(new TaskLogRequest { Stream = "stdout", Follow = true }, () => Volatile.Read(ref running), async () =>
        {
            await Task.Delay(300); // the follower is now waiting at the end of line 5
            File.AppendAllText(Current, Lines(6, 256)); // up to the cap
            Assert.NotNull(LogRotation.RotateIfFull(_sandbox, "stdout", policy));
            File.AppendAllText(Current, Lines(257, 259));
            await Task.Delay(600);
            Volatile.Write(ref running, false);
        });
        Assert.Equal(Lines(1, 259), text);
    }
}
