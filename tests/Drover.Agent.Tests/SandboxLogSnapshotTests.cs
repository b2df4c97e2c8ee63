using Drover.Agent.Drivers;
using Drover.Agent.Logs;

namespace Drover.Agent.Tests;

/// <summary>A log read without follow is the log as it was when asked: lines the task writes meanwhile are not added.</summary>
public sealed class SandboxLogSnapshotTests : IDisposable
{
    private readonly string _sandbox = Directory.CreateTempSubdirectory("drover-sandboxlog-").FullName;

    [Fact(Timeout = 30_000)]
    public async Task A_tail_without_follow_ends_where_the_log_ended_when_it_was_asked()
    {
        var file = Path.Combine(_sandbox, "stdout");
        await File.WriteAllTextAsync(file, "tick 1\ntick 2\ntick 3\ntick 4\n");
        await using var log = SandboxLog.Open(_sandbox, new TaskLogRequest { Stream = "stdout", Tail = 2 }, isRunning: () => true, TimeProvider.System)!;

        // The task writes another line while the answer is being sent (on its first write).
        using var answer = new WritingWhileSent(() => File.AppendAllText(file, "tick 5\n"));
        await log.CopyToAsync(answer, CancellationToken.None);

        Assert.Equal("tick 3\ntick 4\n", System.Text.Encoding.UTF8.GetString(answer.ToArray()));
        Assert.EndsWith("tick 5\n", await File.ReadAllTextAsync(file)); // it was written, just not part of this answer
    }

    private sealed class WritingWhileSent(Action onFirstWrite) : MemoryStream
    {
        private Action? _pending = onFirstWrite;

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken ct = default)
        {
            await base.WriteAsync(buffer, ct);
            Interlocked.Exchange(ref _pending, null)?.Invoke();
        }
    }

    public void Dispose() => Directory.Delete(_sandbox, recursive: true);
}
