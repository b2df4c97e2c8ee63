using Drover.Agent.Logs;
using Drover.Agent.Tests.Infrastructure;
using Microsoft.Extensions.Logging;

namespace Drover.Agent.Tests;

/// <summary>The sampler behind the offset index, on real files with times handed in by the test.</summary>
public sealed class LogIndexRecorderTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2024, 5, 1, 12, 0, 0, TimeSpan.Zero);
    private readonly TestDir _dir = new();
    private readonly ListLogger _log = new();

    public void Dispose() => _dir.Dispose();

    private string Sandbox(string id)
    {
        var path = _dir.Combine(id);
        Directory.CreateDirectory(path);
        File.WriteAllText(Path.Combine(path, "stdout"), "");
        File.WriteAllText(Path.Combine(path, "stderr"), "");
        return path;
    }

    private static DateTimeOffset At(double seconds) => T0.AddSeconds(seconds);

    private static IReadOnlyList<LogCheckpoint> Index(string sandbox, string stream = "stdout") =>
        LogIndexFile.Read(LogIndexFile.PathFor(sandbox, stream));

    [Fact]
    public void Records_sizes_when_they_change_for_both_streams()
    {
        var sandbox = Sandbox("t1");
        var recorder = new LogIndexRecorder(_log);
        LogSource[] tasks = [new("t1", sandbox, Ended: false)];

        recorder.Sample(tasks, At(0));
        File.AppendAllText(Path.Combine(sandbox, "stdout"), "hello\n");
        recorder.Sample(tasks, At(1));
        recorder.Sample(tasks, At(2)); // unchanged: nothing new
        File.AppendAllText(Path.Combine(sandbox, "stderr"), "oops\n");
        File.AppendAllText(Path.Combine(sandbox, "stdout"), "world\n");
        recorder.Sample(tasks, At(3));

        Assert.Equal([new LogCheckpoint(At(0), 0), new(At(1), 6), new(At(3), 12)], Index(sandbox));
        Assert.Equal([new LogCheckpoint(At(0), 0), new(At(3), 5)], Index(sandbox, "stderr"));
        Assert.True(File.Exists(Path.Combine(sandbox, ".stdout.offsets")), "sidecar next to the log");
    }

    [Fact]
    public void A_new_recorder_carries_on_with_the_index_a_previous_agent_wrote()
    {
        var sandbox = Sandbox("t1");
        LogSource[] tasks = [new("t1", sandbox, Ended: false)];
        File.AppendAllText(Path.Combine(sandbox, "stdout"), "before restart\n");
        new LogIndexRecorder(_log).Sample(tasks, At(0));

        // The agent restarts; the task writes meanwhile; the new agent re-adopts it.
        File.AppendAllText(Path.Combine(sandbox, "stdout"), "while away\n");
        var second = new LogIndexRecorder(_log);
        second.Sample(tasks, At(60));
        second.Sample(tasks, At(61)); // unchanged since the re-adopting sample

        Assert.Equal([new LogCheckpoint(At(0), 15), new(At(60), 26)], Index(sandbox));
        // since=30s: the earlier agent's checkpoint still answers it.
        Assert.Equal(15, LogOffsetIndex.StartOffset(Index(sandbox), At(30), 26));
    }

    [Fact]
    public void An_ended_task_gets_one_last_sample_and_forgotten_tasks_are_dropped()
    {
        var sandbox = Sandbox("t1");
        var recorder = new LogIndexRecorder(_log);
        recorder.Sample([new("t1", sandbox, Ended: false)], At(0));
        File.AppendAllText(Path.Combine(sandbox, "stdout"), "last words\n");
        recorder.Sample([new("t1", sandbox, Ended: true)], At(1));
        File.AppendAllText(Path.Combine(sandbox, "stdout"), "not the task's\n");
        recorder.Sample([new("t1", sandbox, Ended: true)], At(2));
        Assert.Equal([new LogCheckpoint(At(0), 0), new(At(1), 11)], Index(sandbox));

        recorder.Sample([], At(3)); // forgotten
        recorder.Sample([new("t1", sandbox, Ended: false)], At(4)); // (an id is never reused; this shows the state was dropped)
        Assert.Equal(new LogCheckpoint(At(4), 26), Index(sandbox)[^1]);
    }

    [Fact]
    public void A_truncated_log_starts_a_new_index()
    {
        var sandbox = Sandbox("t1");
        var recorder = new LogIndexRecorder(_log);
        LogSource[] tasks = [new("t1", sandbox, Ended: false)];
        File.AppendAllText(Path.Combine(sandbox, "stdout"), "0123456789\n");
        recorder.Sample(tasks, At(0));
        File.WriteAllText(Path.Combine(sandbox, "stdout"), "new\n");
        recorder.Sample(tasks, At(1));
        Assert.Equal([new LogCheckpoint(At(1), 4)], Index(sandbox));
    }

    [Fact]
    public void The_sidecar_stays_bounded()
    {
        var sandbox = Sandbox("t1");
        var recorder = new LogIndexRecorder(_log);
        LogSource[] tasks = [new("t1", sandbox, Ended: false)];
        using (var log = new FileStream(Path.Combine(sandbox, "stdout"), FileMode.Append, FileAccess.Write, FileShare.ReadWrite))
        {
            for (var i = 0; i < LogOffsetIndex.MaxCheckpoints * 2; i++)
            {
                log.WriteByte((byte)'x');
                log.Flush();
                recorder.Sample(tasks, At(i));
            }
        }
        var index = Index(sandbox);
        Assert.InRange(index.Count, 2, LogOffsetIndex.MaxCheckpoints);
        Assert.Equal(new LogCheckpoint(At(0), 1), index[0]);
        Assert.Equal(new LogCheckpoint(At((LogOffsetIndex.MaxCheckpoints * 2) - 1), LogOffsetIndex.MaxCheckpoints * 2), index[^1]);
        Assert.False(File.Exists(LogIndexFile.PathFor(sandbox, "stdout") + ".tmp"));
    }

    [Fact]
    public void Missing_logs_are_skipped_and_write_failures_logged_once_per_streak()
    {
        var recorder = new LogIndexRecorder(_log);
        recorder.Sample([new("gone", _dir.Combine("no-such-sandbox"), Ended: false)], At(0));
        Assert.Empty(_log.Entries);

        var sandbox = Sandbox("t1");
        Directory.CreateDirectory(LogIndexFile.PathFor(sandbox, "stdout")); // the sidecar cannot be written
        LogSource[] tasks = [new("t1", sandbox, Ended: false)];
        recorder.Sample(tasks, At(1));
        File.AppendAllText(Path.Combine(sandbox, "stdout"), "more\n");
        recorder.Sample(tasks, At(2));
        var warning = Assert.Single(_log.Entries);
        Assert.Contains(".stdout.offsets", warning);
        Assert.Equal([new LogCheckpoint(At(1), 0)], Index(sandbox, "stderr")); // the other stream is unaffected
    }

    private sealed class ListLogger : ILogger
    {
        private readonly Lock _gate = new();
        private readonly List<string> _entries = [];
        public IReadOnlyList<string> Entries { get { lock (_gate) return [.. _entries]; } }
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (_gate) _entries.Add(formatter(state, exception));
        }
    }
}
