using System.Text.Json;
using Drover.IntegrationTests.Harness;
using Xunit.Abstractions;

namespace Drover.IntegrationTests.Cli;

/// <summary>The trap doors an operator fell into in the first hour, driven through the built drover binary.</summary>
public sealed class CliTrapDoorTests(CliClusterFixture fixture, ITestOutputHelper output) : IClassFixture<CliClusterFixture>
{
    private LocalCluster C => fixture.Cluster;

    private async Task<ProcessResult> Cli(params string[] args)
    {
        var r = await DroverProcess.RunCliAsync(TimeSpan.FromSeconds(90), [.. args, "--server", C.BaseAddress.ToString()]);
        output.WriteLine($"$ drover {string.Join(' ', args)}\n{r}");
        return r;
    }

    private async Task<string> DeploymentOfAsync(string appId) =>
        (await Eventually.GetAsync(async () => (await C.Client.ListDeploymentsAsync()).FirstOrDefault(d => d.AffectedApps.Contains(appId)),
            TimeSpan.FromSeconds(30), $"a deployment of {appId}", C.Diagnostics))!.Id;

    [Fact(Timeout = 240_000)]
    public async Task Deployment_words_never_reach_app_commands_and_revert_or_stop_real_deployments()
    {
        await C.ApplyAsync(CliApps.Sleeper("/trap/victim"));
        await C.WaitForRunningAsync("/trap/victim", 1);

        var wrong = await Cli("deployment", "rm", "/trap/victim");
        Assert.Equal(1, wrong.ExitCode);
        Assert.Contains("deployment /trap/victim does not exist", wrong.Stderr);
        Assert.Equal(1, (await C.Client.GetAppAsync("/trap/victim")).Instances); // still there

        await C.ApplyAsync(CliApps.NeverHealthy("/trap/stuck"));
        var id = await DeploymentOfAsync("/trap/stuck");
        var ls = await Cli("deployment", "ls");
        Assert.True(ls.Succeeded);
        Assert.StartsWith("ID", ls.Stdout);
        Assert.Contains(id, ls.Stdout);
        Assert.Contains("StartApplication /trap/stuck", ls.Stdout);
        Assert.DoesNotContain("/trap/victim", ls.Stdout);

        var stop = await Cli("deployment", "rm", "--force", id);
        Assert.True(stop.Succeeded, stop.ToString());
        Assert.Contains($"stopped deployment {id}", stop.Stdout);
        Assert.DoesNotContain(await C.Client.ListDeploymentsAsync(), d => d.Id == id);

        // a real revert: back to the healthy config, followed until it is done
        await C.ApplyAsync(CliApps.Sleeper("/trap/stuck"));
        await C.WaitForRunningAsync("/trap/stuck", 1);
        await C.ApplyAsync(CliApps.NeverHealthy("/trap/stuck"));
        var bad = await DeploymentOfAsync("/trap/stuck");
        var revert = await Cli("deployment", "rm", bad, "--timeout", "60s");
        Assert.True(revert.Succeeded, revert.ToString());
        Assert.Contains($"reverting deployment {bad}", revert.Stdout);
        Assert.Contains("succeeded", revert.Stdout);
        var app = await C.WaitForRunningAsync("/trap/stuck", 1);
        Assert.Empty(app.HealthChecks);
    }

    [Fact(Timeout = 180_000)]
    public async Task A_locked_app_names_the_force_flag()
    {
        await C.ApplyAsync(CliApps.NeverHealthy("/trap/locked"));
        await DeploymentOfAsync("/trap/locked");
        var scale = await Cli("app", "scale", "/trap/locked", "2", "--no-wait");
        Assert.Equal(1, scale.ExitCode);
        Assert.Contains("--force", scale.Stderr);
        Assert.DoesNotContain("?force", scale.Stderr);
        Assert.Single(scale.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        var forced = await Cli("app", "scale", "/trap/locked", "2", "--force", "--no-wait");
        Assert.True(forced.Succeeded, forced.ToString());
    }

    [Theory(Timeout = 120_000)]
    [InlineData("app", "scale", "/trap/nope", "3")]
    [InlineData("app", "show", "/trap/nope")]
    [InlineData("app", "restart", "/trap/nope")]
    [InlineData("app", "rm", "/trap/nope")]
    [InlineData("app", "versions", "/trap/nope")]
    [InlineData("app", "rollback", "/trap/nope", "--yes")]
    [InlineData("ps", "/trap/nope")]
    [InlineData("logs", "/trap/nope")]
    public async Task Every_app_command_on_a_missing_app_says_it_does_not_exist(params string[] args)
    {
        var r = await Cli(args);
        Assert.Equal(1, r.ExitCode);
        Assert.Single(r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.True(r.Stderr.Contains("'/trap/nope' does not exist") || r.Stderr.Contains("no task or app matches '/trap/nope'"), r.Stderr);
        Assert.DoesNotContain("cmd", r.Stderr);
        Assert.DoesNotContain(await C.Client.ListAppsAsync(), a => a.Id == "/trap/nope");
    }

    [Fact(Timeout = 120_000)]
    public async Task Misspelled_fields_are_refused_with_a_suggestion_and_syntax_errors_name_the_line()
    {
        using var dir = new TempDir("cli-fields");
        var typo = dir.Combine("typo.json");
        File.WriteAllText(typo, """{"id":"/trap/typo","cmd":"exec sleep 600","instnaces":2,"cpus":0.05,"mem":16,"healthChecks":[{"protocol":"TCP","gracePeriodSecond":5}]}""");
        var refused = await Cli("app", "apply", "-f", typo);
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("unknown field 'instnaces' (did you mean 'instances'?)", refused.Stderr);
        Assert.Contains("'gracePeriodSecond'", refused.Stderr);
        Assert.Contains("gracePeriodSeconds", refused.Stderr);
        Assert.DoesNotContain(await C.Client.ListAppsAsync(), a => a.Id == "/trap/typo");

        var allowed = await Cli("app", "apply", "-f", typo, "--allow-unknown", "--no-wait");
        Assert.True(allowed.Succeeded, allowed.ToString());
        Assert.Contains("drover: the server warns: unknown field 'instnaces' ignored (did you mean 'instances'?)", allowed.Stderr);
        Assert.Equal(1, (await C.Client.GetAppAsync("/trap/typo")).Instances); // the server ignored the misspelling

        var broken = dir.Combine("broken.json");
        File.WriteAllText(broken, "{\n  \"id\": \"/trap/broken\",\n  \"cmd\": \"sleep 1\"\n  \"instances\": 1\n}\n");
        var syntax = await Cli("app", "apply", "-f", broken);
        Assert.Equal(1, syntax.ExitCode);
        Assert.Contains($"{broken}: invalid JSON at line 4, column 3", syntax.Stderr);
    }

    [Fact(Timeout = 180_000)]
    public async Task Ps_on_a_terminal_fits_its_width_with_short_ids_that_kill_accepts()
    {
        await C.ApplyAsync(CliApps.Sleeper("/trap/a-rather-long-application-name/with-a-nested-group", instances: 2));
        var app = await C.WaitForRunningAsync("/trap/a-rather-long-application-name/with-a-nested-group", 2);
        var ps = await Terminal.RunCliAsync(TimeSpan.FromSeconds(60), 80, "ps", "--server", C.BaseAddress.ToString());
        output.WriteLine(ps.ToString());
        Assert.True(ps.Succeeded, ps.ToString());
        var lines = ps.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.All(lines, l => Assert.True(l.TrimEnd().Length <= 80, $"{l.TrimEnd().Length} wide: {l}"));
        Assert.StartsWith("ID", lines[0]);
        foreach (var h in new[] { "APP", "STATE", "HEALTH", "HOST:PORTS", "AGE", "VERSION" }) Assert.Contains(h, lines[0]);
        var task = app.Tasks![0];
        var shortRow = lines.Single(l => task.Id.Contains(l.Split(' ')[0], StringComparison.Ordinal) && l.Split(' ')[0].Length < task.Id.Length);
        var shortId = shortRow.Split(' ')[0];
        Assert.InRange(shortId.Length, 8, 20);

        var full = await Cli("ps", "--no-trunc");
        Assert.Contains(task.Id, full.Stdout);

        var kill = await Cli("kill", shortId);
        Assert.True(kill.Succeeded, kill.ToString());
        Assert.Contains($"killing {task.Id}", kill.Stdout);
        await Eventually.AsyncAssert(async () => (await C.Client.ListTasksAsync(app.Id)).All(t => t.Id != task.Id), TimeSpan.FromSeconds(30), "killed task gone", C.Diagnostics);

        var json = await Cli("ps", "--output", "json");
        using var doc = JsonDocument.Parse(json.Stdout);
        Assert.True(doc.RootElement.GetProperty("tasks").GetArrayLength() >= 1);
    }
}
