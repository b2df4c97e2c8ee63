using Drover.IntegrationTests.Harness;
using Xunit.Abstractions;

namespace Drover.IntegrationTests.Cli;

/// <summary>`drover logs -f` follows an app across task replacements; `drover app rollback` skips reverted versions.</summary>
public sealed class CliLogsAndRollbackTests(CliClusterFixture fixture, ITestOutputHelper output) : IClassFixture<CliClusterFixture>
{
    private LocalCluster C => fixture.Cluster;

    private async Task<ProcessResult> Cli(params string[] args)
    {
        var r = await DroverProcess.RunCliAsync(TimeSpan.FromSeconds(120), [.. args, "--server", C.BaseAddress.ToString()]);
        output.WriteLine($"$ drover {string.Join(' ', args)}\n{r}");
        return r;
    }

    [Fact(Timeout = 240_000)]
    public async Task Logs_follow_the_app_and_a_replacement_task_joins_the_stream()
    {
        await C.ApplyAsync("""
            {"id":"/logs/ticker","cmd":"i=0; while true; do i=$((i+1)); echo \"tick $i from $MESOS_TASK_ID\"; sleep 0.2; done","instances":2,"cpus":0.05,"mem":16}
            """);
        var app = await C.WaitForRunningAsync("/logs/ticker", 2);
        await Eventually.AsyncAssert(async () => (await Cli("logs", "/logs/ticker")).Stdout.Split('\n').Count(l => l.Contains("tick 8 from")) == 2,
            TimeSpan.FromSeconds(60), "both tasks have ticked 8 times", C.Diagnostics);

        var tail = await Cli("logs", "/logs/ticker", "--tail", "3");
        foreach (var t in app.Tasks!) Assert.Equal(3, tail.Stdout.Split('\n').Count(l => l.Contains("from " + t.Id)));
        Assert.All(tail.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => Assert.Matches(@"^[0-9a-f-]{8,} \| tick \d+ from ", l));

        await using var follow = DroverProcess.Start(["logs", "-f", "/logs/ticker", "--tail", "2", "--server", C.BaseAddress.ToString()], new ProcessOptions { Name = "logs -f" });
        var victim = app.Tasks![0].Id;
        await follow.WaitForLineAsync(l => l.Contains("from " + victim), TimeSpan.FromSeconds(30));
        var before = follow.Lines.Count;
        Assert.InRange(before, 1, 4 + 10); // the tail of each task, not the whole history

        await C.Client.KillTasksAsync([victim]);
        var replacement = await Eventually.GetAsync(async () => (await C.Client.ListTasksAsync("/logs/ticker")).FirstOrDefault(t => app.Tasks.All(o => o.Id != t.Id) && t.State == "TASK_RUNNING"),
            TimeSpan.FromSeconds(60), "a replacement task", C.Diagnostics);
        var joined = await follow.WaitForLineAsync(l => l.Contains("from " + replacement!.Id), TimeSpan.FromSeconds(30));
        Assert.Contains("tick 1 from", follow.Lines.First(l => l.Text.Contains("from " + replacement!.Id)).Text); // from its first line
        Assert.Matches(@"^[0-9a-f-]{8,} \| ", joined);
        Assert.False(follow.HasExited);

        var since = await Cli("logs", app.Tasks[1].Id, "--since", "1s");
        var lines = since.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var whole = (await Cli("logs", app.Tasks[1].Id)).Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        // The last second or so of output (the window is precise to about a second, and a loaded machine stretches it),
        // never the whole history: the task has been ticking five times a second since before the kill above.
        Assert.NotEmpty(lines);
        Assert.True(lines.Length < whole.Length, $"--since 1s gave {lines.Length} of {whole.Length} lines");
        Assert.Subset(whole.ToHashSet(), lines.ToHashSet()); // lines of the same task's log, not of another
        Assert.DoesNotContain(whole[0], lines); // its first line is older than a second
    }

    [Fact(Timeout = 240_000)]
    public async Task Rollback_after_a_reverted_deployment_goes_to_the_config_before_the_current_one()
    {
        const string id = "/rollback/web";
        await C.ApplyAsync(CliApps.Sleeper(id, env: "v1"));
        await C.WaitForRunningAsync(id, 1);
        await C.ApplyAsync(CliApps.Sleeper(id, env: "v2"));
        await C.WaitForRunningAsync(id, 1);

        // v3 never gets healthy; the operator reverts it
        await C.ApplyAsync(CliApps.NeverHealthy(id).Replace("\"cmd\"", "\"env\":{\"VERSION\":\"v3\"},\"cmd\""));
        var bad = await Eventually.GetAsync(async () => (await C.Client.ListDeploymentsAsync()).FirstOrDefault(d => d.AffectedApps.Contains(id)),
            TimeSpan.FromSeconds(30), "the v3 deployment", C.Diagnostics);
        var revert = await Cli("deployment", "rm", bad!.Id, "--timeout", "90s");
        Assert.True(revert.Succeeded, revert.ToString());
        Assert.Equal("v2", (await C.WaitForRunningAsync(id, 1)).Env["VERSION"]);

        var refused = await Cli("app", "rollback", id);
        Assert.Equal(2, refused.ExitCode); // not a terminal: nobody to confirm
        Assert.Contains("--yes", refused.Stderr);
        Assert.Contains("~ env.VERSION: \"v2\" → \"v1\"", refused.Stdout); // the diff is shown first
        Assert.Equal("v2", (await C.Client.GetAppAsync(id)).Env["VERSION"]);

        var rollback = await Cli("app", "rollback", id, "--yes");
        Assert.True(rollback.Succeeded, rollback.ToString());
        Assert.Contains("(its deployment was reverted)", rollback.Stdout);
        Assert.Contains("~ env.VERSION: \"v2\" → \"v1\"", rollback.Stdout);
        Assert.Contains("succeeded", rollback.Stdout);
        Assert.Equal("v1", (await C.WaitForRunningAsync(id, 1)).Env["VERSION"]);
    }
}
