using Drover.IntegrationTests.Harness;
using Xunit.Abstractions;

namespace Drover.IntegrationTests.Cli;

/// <summary>
/// Following a deployment says why it waits, straight from the tasks: on a terminal as a live view,
/// otherwise as plain lines; --timeout ends the wait with exit 1 and the reason.
/// </summary>
public sealed class CliProgressTests(CliClusterFixture fixture, ITestOutputHelper output) : IClassFixture<CliClusterFixture>
{
    private LocalCluster C => fixture.Cluster;

    private async Task<ProcessResult> OnTerminal(string json, string name, params string[] extra)
    {
        using var dir = new TempDir("cli-progress");
        var file = dir.Combine(name + ".json");
        File.WriteAllText(file, json);
        var r = await Terminal.RunCliAsync(TimeSpan.FromSeconds(120), 120, ["app", "apply", "-f", file, "--server", C.BaseAddress.ToString(), .. extra]);
        output.WriteLine($"$ drover app apply -f {name}.json {string.Join(' ', extra)}\n{r}");
        return r;
    }

    private async Task<ProcessResult> Plain(params string[] args)
    {
        var r = await DroverProcess.RunCliAsync(TimeSpan.FromSeconds(120), [.. args, "--server", C.BaseAddress.ToString()]);
        output.WriteLine($"$ drover {string.Join(' ', args)}\n{r}");
        return r;
    }

    /// <summary>Runs the assertions; when one fails, the server's and agent's output goes to the test output first, so a CI log says why.</summary>
    private void Explained(Action asserts) => Explained(() => { asserts(); return Task.CompletedTask; }).GetAwaiter().GetResult();

    private async Task Explained(Func<Task> asserts)
    {
        try
        {
            await asserts();
        }
        catch
        {
            output.WriteLine("cluster output:\n" + C.Server.FormatOutput(25) + "\n" + string.Join("\n", C.Agents.Select(a => a.FormatOutput(15))));
            throw;
        }
    }

    [Fact(Timeout = 180_000)]
    public async Task A_failing_health_check_is_named_in_the_live_view_and_the_timeout_ends_the_wait()
    {
        const string app = """
            {"id":"/progress/nope","cmd":"exec python3 -m http.server $PORT0 --bind 127.0.0.1","instances":1,"cpus":0.5,"mem":48,
             "healthChecks":[{"protocol":"HTTP","path":"/nope","gracePeriodSeconds":1,"intervalSeconds":1,"timeoutSeconds":1,"maxConsecutiveFailures":0}]}
            """;
        var r = await OnTerminal(app, "nope", "--timeout", "40s");
        await Explained(async () =>
        {
            Assert.Equal(1, r.ExitCode);
            Assert.Contains("apply /progress/nope", r.Stdout);                 // the live view's title
            Assert.Contains("start /progress/nope: new 0/1 healthy", r.Stdout);
            Assert.Contains("health check failed: HTTP 404 on /nope", r.Stdout);
            Assert.Matches(@"\(\d+ in a row\)", r.Stdout);
            Assert.Contains("gave up waiting after", r.Stdout);
            Assert.Contains("goes on", r.Stdout);
            Assert.Single(await C.Client.ListDeploymentsAsync(), d => d.AffectedApps.Contains("/progress/nope")); // the deployment went on
        });
    }

    [Fact(Timeout = 180_000)]
    public async Task An_unplaceable_app_and_a_missing_driver_are_named()
    {
        var big = await OnTerminal("""{"id":"/progress/big","cmd":"sleep 60","instances":2,"cpus":0.05,"mem":9999999}""", "big", "--timeout", "15s");
        Explained(() =>
        {
            Assert.Equal(1, big.ExitCode);
            Assert.Contains("waiting for offers: 2 instances unplaced (insufficient mem (9999999 MiB needed) on 1 agent)", big.Stdout);
        });

        using var dir = new TempDir("cli-progress");
        var file = dir.Combine("docker.json");
        File.WriteAllText(file, """{"id":"/progress/docker","container":{"type":"DOCKER","docker":{"image":"busybox"}},"instances":1,"cpus":0.05,"mem":16}""");
        var docker = await Plain("app", "apply", "-f", file, "--timeout", "15s");
        Explained(() =>
        {
            Assert.Equal(1, docker.ExitCode);
            Assert.Contains("waiting: no agent can run DOCKER tasks (no docker driver on 1 agent)", docker.Stdout);
            Assert.Contains("gave up waiting after", docker.Stdout);
        });
    }

    [Fact(Timeout = 180_000)]
    public async Task A_crashing_task_shows_its_exit_code_and_last_stderr_line()
    {
        using var dir = new TempDir("cli-progress");
        var file = dir.Combine("crash.json");
        File.WriteAllText(file, """
            {"id":"/progress/crash","cmd":"echo starting; echo 'fatal: /etc/app.conf is missing' >&2; exit 1","instances":1,"cpus":0.05,"mem":16,
             "healthChecks":[{"protocol":"TCP","gracePeriodSeconds":30,"intervalSeconds":1,"timeoutSeconds":1}]}
            """);
        var r = await Plain("app", "apply", "-f", file, "--timeout", "20s");
        Explained(() =>
        {
            Assert.Equal(1, r.ExitCode);
            Assert.Contains("waiting: task exited with code 1: fatal: /etc/app.conf is missing", r.Stdout);
        });
    }

    [Fact(Timeout = 180_000)]
    public async Task Scale_follows_its_deployment_to_the_end_and_json_output_reports_it()
    {
        await C.ApplyAsync(CliApps.Sleeper("/progress/scale"));
        await C.WaitForRunningAsync("/progress/scale", 1);
        var scale = await Plain("app", "scale", "/progress/scale", "3");
        Assert.True(scale.Succeeded, scale.ToString());
        Assert.Contains("scaling /progress/scale to 3", scale.Stdout);
        Assert.Contains("succeeded", scale.Stdout);
        Assert.Equal(3, (await C.Client.GetAppAsync("/progress/scale")).TasksRunning);

        var json = await Plain("app", "scale", "/progress/scale", "1", "--output", "json");
        Assert.True(json.Succeeded, json.ToString());
        var last = json.Stdout.Trim().Split('\n')[^1];
        using var doc = System.Text.Json.JsonDocument.Parse(last);
        Assert.Equal("succeeded", doc.RootElement.GetProperty("outcome").GetString());

        var rm = await Plain("app", "rm", "/progress/scale");
        Assert.True(rm.Succeeded, rm.ToString());
        Assert.Contains("succeeded", rm.Stdout);
        Assert.Empty(await C.Client.ListTasksAsync("/progress/scale").ContinueWith(t => t.IsFaulted ? [] : t.Result));
    }
}
