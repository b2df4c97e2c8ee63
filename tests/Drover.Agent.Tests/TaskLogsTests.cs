using System.Globalization;
using System.Net;
using System.Text;
using Drover.Agent.Logs;
using Drover.Agent.Tests.Infrastructure;
using Drover.Api.Agents;
using Drover.Core.Cluster;

namespace Drover.Agent.Tests;

/// <summary>GET /tasks/{id}/logs with tail, since and follow, on real task processes.</summary>
public sealed class TaskLogsTests : IAsyncLifetime
{
    private readonly TestDir _dir = new();
    private readonly ProcessReaper _reaper = new();
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(20) };
    private readonly List<DroverAgent> _agents = [];
    private FakeServer _server = null!;

    public async Task InitializeAsync() => _server = await FakeServer.StartAsync();

    public async Task DisposeAsync()
    {
        _reaper.Dispose();
        foreach (var a in _agents) await a.DisposeAsync();
        await _server.DisposeAsync();
        _http.Dispose();
        _dir.Dispose();
    }

    private async Task<DroverAgent> StartAgentAsync(bool killTasksOnStop = true, LogRotationPolicy? rotation = null)
    {
        rotation ??= LogRotationPolicy.Default;
        var agent = new DroverAgent(new AgentOptions
        {
            ServerUrl = _server.BaseUri.ToString(),
            DataDir = _dir.Combine("agent"),
            Hostname = "test-host",
            HeartbeatInterval = TimeSpan.FromMilliseconds(200),
            EnableCgroups = false,
            KillTasksOnStop = killTasksOnStop,
            LogMaxSize = rotation.MaxSize,
            LogMaxFiles = rotation.MaxFiles,
        });
        _agents.Add(agent);
        await agent.StartAsync();
        await Eventually.Within(agent.Registered, "registration");
        return agent;
    }

    private async Task<string> RunAsync(DroverAgent agent, TaskSpec spec)
    {
        _server.Assign(new TaskAssignment { Spec = spec });
        await Eventually.True(() => _server.HasState(spec.TaskId, "TASK_RUNNING") || agent.Tasks.Find(spec.TaskId)?.IsTerminal == true, "task started");
        if (agent.Tasks.Find(spec.TaskId)?.Handle is { } h) _reaper.TrackPid(h.Pid);
        return agent.Tasks.Find(spec.TaskId)!.Sandbox!;
    }

    private Task<string> Logs(DroverAgent agent, string taskId, string query) =>
        _http.GetStringAsync(new Uri(agent.Endpoint, $"/tasks/{taskId}/logs?{query}"));

    private static Task<bool> StdoutHas(string sandbox, string text) =>
        Task.FromResult(File.ReadAllText(Path.Combine(sandbox, "stdout")).Contains(text, StringComparison.Ordinal));

    /// <summary>Waits until the agent's index has noticed the log at exactly <paramref name="size"/> bytes; returns that checkpoint.</summary>
    private static async Task<LogCheckpoint> CheckpointAsync(string sandbox, long size)
    {
        LogCheckpoint? found = null;
        await Eventually.True(() =>
        {
            found = LogIndexFile.Read(LogIndexFile.PathFor(sandbox, "stdout")).Where(c => c.Size == size).Select(c => (LogCheckpoint?)c).FirstOrDefault();
            return found is not null;
        }, $"index checkpoint at {size} bytes");
        return found!.Value;
    }

    /// <summary>A moment strictly after <paramref name="checkpoint"/> on the agent's (system) clock, as unix ms.</summary>
    private static async Task<long> MomentAfterAsync(LogCheckpoint checkpoint)
    {
        await Eventually.True(() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() > checkpoint.At.ToUnixTimeMilliseconds(), "clock past the checkpoint");
        return DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
    }

    // Writes "early", then "late" once the test creates the file "go", then waits to be killed.
    private const string EarlyThenLate =
        "trap 'exit 0' TERM; echo early; while [ ! -f go ]; do sleep 0.02; done; echo late; while true; do sleep 0.05; done";

    [Fact(Timeout = 120_000)]
    public async Task A_noisy_task_is_rotated_down_to_its_cap_and_its_tail_stays_readable()
    {
        const long cap = 1 << 20;
        var agent = await StartAgentAsync(rotation: new LogRotationPolicy(cap, 3));
        // 48 MB (whole lines) as fast as the task can write, then a last line once the test has seen the rotation.
        var spec = Specs.Cmd("trap 'exit 0' TERM; yes 'noise noise noise noise' | head -c 48000000; "
            + "while [ ! -f go ]; do sleep 0.02; done; echo the end; while true; do sleep 0.05; done");
        var sandbox = await RunAsync(agent, spec);
        long LogBytes() => Directory.EnumerateFiles(sandbox).Where(f => Path.GetFileName(f).StartsWith("stdout", StringComparison.Ordinal)).Sum(f => new FileInfo(f).Length);

        await Eventually.True(() => File.Exists(LogRotation.RotatedPath(sandbox, "stdout", 1)) && new FileInfo(Path.Combine(sandbox, "stdout")).Length < cap,
            "stdout rotated after the burst");
        Assert.True(LogBytes() <= 3 * cap, $"{LogBytes()} bytes of stdout in the sandbox, over 3 x {cap}");
        Assert.False(File.Exists(LogRotation.RotatedPath(sandbox, "stdout", 3)));
        Assert.Equal("noise noise noise noise\n", await Logs(agent, spec.TaskId, "tail=1")); // from stdout.1: the current file is empty

        await File.WriteAllTextAsync(Path.Combine(sandbox, "go"), "");
        await Eventually.True(() => StdoutHas(sandbox, "the end"), "last line");
        Assert.Equal("noise noise noise noise\nthe end\n", await Logs(agent, spec.TaskId, "tail=2"));
        Assert.True(LogBytes() <= 3 * cap, $"{LogBytes()} bytes of stdout in the sandbox, over 3 x {cap}");
    }

    [Fact(Timeout = 60_000)]
    public async Task Tail_returns_the_last_lines_and_invalid_values_are_400()
    {
        var agent = await StartAgentAsync();
        var spec = Specs.Cmd("trap 'exit 0' TERM; for i in 1 2 3 4 5; do echo line$i; done; printf partial; while true; do sleep 0.05; done");
        var sandbox = await RunAsync(agent, spec);
        await Eventually.True(() => StdoutHas(sandbox, "partial"), "output written");

        Assert.Equal("line5\npartial", await Logs(agent, spec.TaskId, "tail=2"));
        Assert.Equal("partial", await Logs(agent, spec.TaskId, "tail=1"));
        Assert.Equal("", await Logs(agent, spec.TaskId, "tail=0"));
        Assert.Equal("line1\nline2\nline3\nline4\nline5\npartial", await Logs(agent, spec.TaskId, "tail=100"));
        Assert.Equal("line1\nline2\nline3\nline4\nline5\npartial", await Logs(agent, spec.TaskId, "tail=all"));
        Assert.Equal("line5\npartial", await Logs(agent, spec.TaskId, "tail=3&offset=-13")); // offset bounds what tail looks at

        foreach (var (query, parameter) in new[] { ("tail=-1", "tail"), ("tail=", "tail"), ("tail=x", "tail"), ("since=yesterday", "since"), ("since=", "since") })
        {
            using var bad = await _http.GetAsync(new Uri(agent.Endpoint, $"/tasks/{spec.TaskId}/logs?{query}"));
            Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
            Assert.Contains($"\"message\":\"{parameter} must", await bad.Content.ReadAsStringAsync());
        }
    }

    [Fact(Timeout = 60_000)]
    public async Task Since_uses_the_offset_index_and_combines_with_tail()
    {
        var agent = await StartAgentAsync();
        var spec = Specs.Cmd(EarlyThenLate);
        var sandbox = await RunAsync(agent, spec);
        await Eventually.True(() => StdoutHas(sandbox, "early"), "early output");
        var early = await CheckpointAsync(sandbox, "early\n".Length);
        var between = await MomentAfterAsync(early);

        await File.WriteAllTextAsync(Path.Combine(sandbox, "go"), "");
        await Eventually.True(() => StdoutHas(sandbox, "late"), "late output");
        await CheckpointAsync(sandbox, "early\nlate\n".Length);

        Assert.Equal("late\n", await Logs(agent, spec.TaskId, $"since={between}"));
        var rfc3339 = DateTimeOffset.FromUnixTimeMilliseconds(between).ToString("yyyy-MM-dd'T'HH:mm:ss.fffzzz", CultureInfo.InvariantCulture);
        Assert.Equal("late\n", await Logs(agent, spec.TaskId, $"since={Uri.EscapeDataString(rfc3339)}"));
        Assert.Equal("late\n", await Logs(agent, spec.TaskId, $"since={between / 1000.0:0.000}"));
        Assert.Equal("early\nlate\n", await Logs(agent, spec.TaskId, "since=10m"));
        Assert.Equal("early\nlate\n", await Logs(agent, spec.TaskId, $"since={early.At.ToUnixTimeMilliseconds() - 60_000}"));
        Assert.Equal("", await Logs(agent, spec.TaskId, $"since={DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeSeconds()}"));
        Assert.Equal("late\n", await Logs(agent, spec.TaskId, "since=10m&tail=1"));
        Assert.Equal("", await Logs(agent, spec.TaskId, $"since={between}&tail=0"));
        Assert.Equal("late\n", await Logs(agent, spec.TaskId, $"since={between}&tail=5")); // tail never reaches before since
    }

    [Fact(Timeout = 60_000)]
    public async Task Follow_after_tail_streams_the_last_lines_then_new_output_until_the_task_ends()
    {
        var agent = await StartAgentAsync();
        var spec = Specs.Cmd("echo a; echo b; while [ ! -f go ]; do sleep 0.02; done; echo c; echo d");
        var sandbox = await RunAsync(agent, spec);
        await Eventually.True(() => StdoutHas(sandbox, "b\n"), "history written");

        using var tailOne = await _http.GetAsync(new Uri(agent.Endpoint, $"/tasks/{spec.TaskId}/logs?tail=1&follow=true"), HttpCompletionOption.ResponseHeadersRead);
        using var tailNone = await _http.GetAsync(new Uri(agent.Endpoint, $"/tasks/{spec.TaskId}/logs?tail=0&follow=true"), HttpCompletionOption.ResponseHeadersRead);
        var one = await tailOne.Content.ReadAsStreamAsync();
        var firstChunk = new byte[64];
        var n = await one.ReadAsync(firstChunk).AsTask().WaitAsync(TimeSpan.FromSeconds(15));
        Assert.Equal("b\n", Encoding.UTF8.GetString(firstChunk, 0, n)); // the history part arrives before any new output

        await File.WriteAllTextAsync(Path.Combine(sandbox, "go"), "");
        using var rest = new StreamReader(one);
        Assert.Equal("c\nd\n", await Eventually.Within(rest.ReadToEndAsync(), "followed log ends with the task"));
        Assert.Equal("c\nd\n", await Eventually.Within(tailNone.Content.ReadAsStringAsync(), "tail=0 follow gets only new output"));
    }

    [Fact(Timeout = 60_000)]
    public async Task A_restarted_agent_keeps_the_index_of_a_readopted_task()
    {
        var first = await StartAgentAsync(killTasksOnStop: false);
        var spec = Specs.Cmd(EarlyThenLate);
        var sandbox = await RunAsync(first, spec);
        await Eventually.True(() => StdoutHas(sandbox, "early"), "early output");
        var early = await CheckpointAsync(sandbox, "early\n".Length);
        var between = await MomentAfterAsync(early);
        await first.StopAsync();

        // Written while no agent watches: the re-adopting agent can only date it to when it looks again.
        await File.WriteAllTextAsync(Path.Combine(sandbox, "go"), "");
        await Eventually.True(() => StdoutHas(sandbox, "late"), "late output while the agent is down");

        var second = await StartAgentAsync();
        Assert.Equal(TaskState.Running, second.Tasks.Find(spec.TaskId)!.State);
        var late = await CheckpointAsync(sandbox, "early\nlate\n".Length);
        Assert.True(late.At.ToUnixTimeMilliseconds() >= between, "re-adoption dates unseen output no earlier than it could have been written");
        Assert.Equal(early, LogIndexFile.Read(LogIndexFile.PathFor(sandbox, "stdout")).Single(c => c.Size == early.Size));
        Assert.Equal("late\n", await Logs(second, spec.TaskId, $"since={between}"));
        Assert.Equal("early\nlate\n", await Logs(second, spec.TaskId, $"since={early.At.ToUnixTimeMilliseconds() - 1}"));
    }
}
