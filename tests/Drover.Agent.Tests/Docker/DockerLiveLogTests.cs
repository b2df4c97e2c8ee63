using System.Text;
using Drover.Agent.Docker;
using Drover.Agent.Drivers;
using Drover.Agent.Drivers.Docker;
using Drover.Agent.Tests.Infrastructure;

namespace Drover.Agent.Tests.Docker;

/// <summary>`drover logs -f` on a container: a follow that dockerd cuts is reopened from the last message served, nothing repeated or skipped.</summary>
public sealed class DockerLiveLogTests : IAsyncLifetime
{
    private const long T0 = 1_795_990_675_000_000_001L;
    private readonly TestDir _dir = new();
    private FakeDockerd _dockerd = null!;
    private DockerClient _client = null!;
    private readonly ManualTimeProvider _time = new();

    public async Task InitializeAsync()
    {
        _dockerd = await FakeDockerd.StartAsync(_dir.Combine("docker.sock"));
        _client = new DockerClient(_dockerd.SocketPath);
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _dockerd.DisposeAsync();
        _dir.Dispose();
    }

    private static FakeLogMessage Out(long at, string text) => new(DockerStreamType.Stdout, at, text);

    /// <summary>Runs the follow to its end, moving the fake clock so the reconnect backoff passes.</summary>
    private async Task<string> FollowAsync(DockerLiveLog log)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var output = new MemoryStream();
        var copy = log.CopyToAsync(output, cts.Token);
        while (!copy.IsCompleted && !cts.IsCancellationRequested)
        {
            _time.Advance(TimeSpan.FromSeconds(1));
            await Task.Delay(10);
        }
        await copy;
        Assert.False(cts.IsCancellationRequested, "the follow did not end: " + string.Join(" | ", _dockerd.LogQueries));
        return Encoding.UTF8.GetString(output.ToArray());
    }

    [Fact]
    public async Task A_stream_cut_mid_frame_is_reopened_at_the_last_nanosecond_served_and_every_line_arrives_once_in_order()
    {
        // three and four share a nanosecond: resuming at "last + 1 ns" would lose four
        _dockerd.Add(Out(T0, "one\n"), new FakeLogMessage(DockerStreamType.Stderr, T0 + 5, "err\n"), Out(T0 + 10, "two\n"),
            Out(T0 + 20, "three\n"), Out(T0 + 20, "four\n"), Out(T0 + 30, "five\n"), Out(T0 + 40, "six\n"));
        _dockerd.CutOpen(1, frames: 3);
        _dockerd.StopAfterOpen = 2;
        var log = new DockerLiveLog(_client, "c1", new TaskLogRequest { Follow = true }, () => true, _time);

        var text = await FollowAsync(log);

        Assert.Equal("one\ntwo\nthree\nfour\nfive\nsix\n", text);
        // the cut follow, the reopened one that ran to the container's stop, and the read of anything left after it
        Assert.Equal(3, log.Opens);
        var queries = _dockerd.LogQueries;
        Assert.True(queries.Count >= 2 && queries[1].Contains("since=" + DockerClient.UnixTime(T0 + 20)), string.Join(" | ", queries));
        Assert.Contains("follow=1", queries[1]);
        Assert.Contains("timestamps=1", queries[1]);
        Assert.Contains("since=" + DockerClient.UnixTime(T0 + 20), queries[1]);
    }

    [Fact]
    public async Task A_follow_after_the_last_lines_resumes_after_them_across_a_cut()
    {
        _dockerd.Add(Out(T0, "one\n"), Out(T0 + 10, "two\n"), Out(T0 + 10, "three\n"));
        // open 1 reads the tail; open 2 follows (four and five are written meanwhile) and is cut inside five; open 3 serves the rest
        _dockerd.AddAtOpen(2, Out(T0 + 20, "four\n"), Out(T0 + 30, "five\n"));
        _dockerd.CutOpen(2, frames: 3);
        _dockerd.StopAfterOpen = 3;
        var log = new DockerLiveLog(_client, "c1", new TaskLogRequest { Follow = true, Tail = 2 }, () => true, _time);

        var text = await FollowAsync(log);

        Assert.Equal("two\nthree\nfour\nfive\n", text);
        var queries = _dockerd.LogQueries;
        Assert.Contains("since=" + DockerClient.UnixTime(T0 + 10), queries[1]);
        Assert.Contains("since=" + DockerClient.UnixTime(T0 + 20), queries[2]);
    }

    [Fact]
    public async Task A_daemon_away_for_a_while_is_waited_for_while_the_task_runs()
    {
        _dockerd.Add(Out(T0, "one\n"), Out(T0 + 10, "two\n"), Out(T0 + 20, "three\n"));
        _dockerd.CutOpen(1, frames: 1);
        _dockerd.FailuresAtCut = 3;
        _dockerd.StopAfterOpen = 3;
        var log = new DockerLiveLog(_client, "c1", new TaskLogRequest { Follow = true }, () => true, _time);

        var text = await FollowAsync(log);

        Assert.Equal("one\ntwo\nthree\n", text);
        Assert.Contains("since=" + DockerClient.UnixTime(T0), _dockerd.LogQueries[2]);
    }

    [Fact]
    public async Task The_follow_ends_cleanly_when_the_container_is_gone_for_good()
    {
        _dockerd.Add(Out(T0, "one\n"), Out(T0 + 10, "two\n"));
        _dockerd.CutOpen(1, frames: 1);
        var log = new DockerLiveLog(_client, "c1", new TaskLogRequest { Follow = true }, () => true, _time);
        _dockerd.RemovedAtCut = true;

        var text = await FollowAsync(log);

        Assert.Equal("one\n", text);
        Assert.Single(_dockerd.LogQueries);
    }

    [Fact]
    public async Task The_follow_ends_when_the_daemon_stays_away_after_the_task_ended()
    {
        _dockerd.Add(Out(T0, "one\n"), Out(T0 + 10, "two\n"));
        _dockerd.CutOpen(1, frames: 1);
        _dockerd.FailuresAtCut = int.MaxValue;
        var log = new DockerLiveLog(_client, "c1", new TaskLogRequest { Follow = true }, () => false, _time);

        var text = await FollowAsync(log);

        Assert.Equal("one\n", text);
        Assert.Single(_dockerd.LogQueries);
    }
}
