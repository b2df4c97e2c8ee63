using System.Diagnostics;
using System.Net;
using System.Text;
using Drover.Api.Client;
using Drover.Api.Stats;
using Drover.IntegrationTests.Cli;
using Drover.IntegrationTests.Harness;
using Xunit.Abstractions;

namespace Drover.IntegrationTests.Stats;

/// <summary>
/// Task and host figures through a real server and agent: a task that holds memory and burns CPU shows both in
/// /v2/tasks/{id}/stats within seconds (from its cgroup where this host allows cgroups, else from /proc), its host in
/// /v1/drover/agents/{id}/stats, both in /v1/drover/stats and in `drover top`.
/// </summary>
public sealed class TaskStatsTests(CliClusterFixture fixture, ITestOutputHelper output) : IClassFixture<CliClusterFixture>
{
    private LocalCluster C => fixture.Cluster;

    // b'x' * n writes every page (a bytearray(n) would be calloc'ed and stay unresident)
    private const string Burner = """
        {"id":"/it/stats/burn","cmd":"exec python3 -c \"import sys\nx = b'x' * (96 << 20)\nprint('holding', len(x), flush=True)\nwhile True: pass\"",
         "instances":1,"cpus":0.5,"mem":256}
        """;

    [Fact(Timeout = 180_000)]
    public async Task A_task_holding_memory_and_burning_cpu_shows_both_with_its_host()
    {
        try
        {
            await C.ApplyAsync(Burner);
            var app = await C.WaitForRunningAsync("/it/stats/burn", 1);
            var taskId = app.Tasks!.Single().Id;

            var stats = await Eventually.GetAsync(async () =>
            {
                var s = await C.Client.GetTaskStatsAsync(taskId);
                output.WriteLine($"{s.Source}: cpu {s.Cpu?.UsageSeconds}s rate {s.Cpu?.Rate}, mem {s.Memory?.UsageBytes} rss {s.Memory?.RssBytes}");
                return s.Cpu?.Rate > 0.3 && s.Memory?.UsageBytes >= 90UL << 20 ? s : null;
            }, TimeSpan.FromSeconds(30), "the task's figures show the busy CPU and the 96 MiB it holds", C.Diagnostics);

            Assert.Equal(taskId, stats.TaskId);
            Assert.Equal("/it/stats/burn", stats.AppId);
            Assert.Equal("host-1", stats.Host);
            Assert.NotNull(stats.AgentId);
            Assert.True(stats.Cpu!.UsageSeconds > 0);
            Assert.NotNull(stats.Cpu.RateWindowSeconds);
            Assert.True(stats.Disk!.SandboxBytes > 0, "the sandbox holds the task's stdout");
            if (IsolationTests.CgroupsV1Writable(output))
            {
                Assert.Equal("cgroup-v1", stats.Source);
                Assert.Equal(256UL << 20, stats.Memory!.LimitBytes);
                Assert.Equal(0, stats.Memory.OomKills);
                Assert.True(stats.Memory.RssBytes >= 90UL << 20, $"rss {stats.Memory.RssBytes}");
                Assert.NotNull(stats.Cpu.ThrottledSeconds);
            }
            Assert.Null(stats.Network); // a process task shares the host's network: no figures of its own

            var host = await C.Client.GetAgentStatsAsync("host-1");
            Assert.Equal("host-1", host.Hostname);
            Assert.Equal(stats.AgentId, host.AgentId);
            Assert.Equal(Environment.ProcessorCount, host.Cpu.Cores);
            Assert.NotNull(host.Cpu.Rate);
            Assert.True(host.Memory!.TotalBytes > host.Memory.AvailableBytes);
            Assert.True(host.Disk!.TotalBytes > 0);
            Assert.NotNull(host.Load);
            Assert.True(host.Tasks >= 1);

            var cluster = await C.Client.GetClusterStatsAsync("/it/stats");
            Assert.Equal(taskId, Assert.Single(cluster.Tasks).TaskId);
            Assert.Equal("host-1", Assert.Single(cluster.Hosts).Hostname);
            Assert.Empty(cluster.Errors);

            var top = await DroverProcess.RunCliAsync(TimeSpan.FromSeconds(60), "top", "/it/stats/burn", "--server", C.BaseAddress.ToString());
            output.WriteLine(top.ToString());
            Assert.Equal(0, top.ExitCode);
            var lines = top.Stdout.Split('\n');
            Assert.Contains(lines, l => l.StartsWith("HOST", StringComparison.Ordinal) && l.Contains("LOAD 1/5/15", StringComparison.Ordinal));
            Assert.Contains(lines, l => l.StartsWith("TASK", StringComparison.Ordinal) && l.Contains("CPU %", StringComparison.Ordinal) && l.Contains("MEM %", StringComparison.Ordinal));
            var row = Assert.Single(lines, l => l.StartsWith(taskId, StringComparison.Ordinal)); // a pipe gets full ids
            Assert.Contains("/it/stats/burn", row);
            Assert.Matches(@"\d+\.\d%", row);
            Assert.DoesNotContain("\u001b", top.Stdout); // no screen control in a pipe
        }
        catch
        {
            output.WriteLine(C.Diagnostics());
            throw;
        }
    }

    [Fact(Timeout = 120_000)]
    public async Task On_a_terminal_top_redraws_in_place_until_q_and_gives_the_screen_back()
    {
        await C.ApplyAsync(CliApps.Sleeper("/it/stats/tty"));
        var app = await C.WaitForRunningAsync("/it/stats/tty", 1);
        var cli = string.Join(' ', new[] { DroverProcess.DotnetPath, DroverProcess.CliDllPath, "top", "--interval", "500ms", "--server", C.BaseAddress.ToString() }
            .Select(Terminal.Quote));
        // script(1) gives the CLI a pseudo-terminal and types what arrives on its stdin: q, once a few frames are drawn
        var psi = new ProcessStartInfo("script", ["-qfec", cli, "/dev/null"])
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            Environment = { ["TERM"] = "xterm-256color", ["COLUMNS"] = "160", ["LINES"] = "40" },
        };
        using var script = Process.Start(psi)!;
        var screen = new StringBuilder();
        var reading = Task.Run(async () =>
        {
            var buffer = new char[4096];
            int n;
            while ((n = await script.StandardOutput.ReadAsync(buffer)) > 0) lock (screen) screen.Append(buffer, 0, n);
        });
        string Screen() { lock (screen) return screen.ToString(); }
        int Frames() => Screen().Split("\u001b[H").Length - 1;
        try
        {
            await Eventually.AsyncAssert(() => Task.FromResult(Frames() >= 3), TimeSpan.FromSeconds(60), "top drew three frames", Screen);
            await script.StandardInput.WriteAsync('q');
            await script.StandardInput.FlushAsync();
            using var exited = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await script.WaitForExitAsync(exited.Token);
            await reading;
        }
        finally
        {
            if (!script.HasExited) script.Kill(entireProcessTree: true);
        }
        var raw = Screen();
        output.WriteLine(Terminal.Plain(raw));
        Assert.Equal(0, script.ExitCode);
        var entered = raw.IndexOf("\u001b[?1049h", StringComparison.Ordinal);
        var left = raw.LastIndexOf("\u001b[?25h\u001b[?1049l", StringComparison.Ordinal);
        Assert.True(entered >= 0 && left > raw.LastIndexOf("\u001b[H", StringComparison.Ordinal),
            "the alternate screen was entered, and left (cursor shown again) after the last frame");
        var plain = Terminal.Plain(raw);
        Assert.Contains("q quits", plain);
        Assert.Contains(app.Tasks!.Single().Id.Split(".instance-")[1][..8], plain); // a terminal gets short ids
    }

    [Fact(Timeout = 120_000)]
    public async Task Unknown_tasks_agents_and_apps_are_404s_naming_them()
    {
        var task = await Assert.ThrowsAsync<DroverApiException>(() => C.Client.GetTaskStatsAsync("nope.instance-1._app.1"));
        Assert.Equal(HttpStatusCode.NotFound, task.Status);
        Assert.Equal("Task 'nope.instance-1._app.1' does not exist", task.Message);

        var agent = await Assert.ThrowsAsync<DroverApiException>(() => C.Client.GetAgentStatsAsync("no-such-host"));
        Assert.Equal(HttpStatusCode.NotFound, agent.Status);
        Assert.Contains("no agent 'no-such-host'", agent.Message);

        var app = await Assert.ThrowsAsync<DroverApiException>(() => C.Client.GetClusterStatsAsync("/no/such/app"));
        Assert.Equal(HttpStatusCode.NotFound, app.Status);
        Assert.Equal("App '/no/such/app' does not exist", app.Message);

        var top = await DroverProcess.RunCliAsync(TimeSpan.FromSeconds(60), "top", "/no/such/app", "--server", C.BaseAddress.ToString());
        Assert.Equal(1, top.ExitCode);
        Assert.Contains("App '/no/such/app' does not exist", top.Stderr);
    }
}
