using System.Text.Json;
using Drover.IntegrationTests.Harness;
using Xunit.Abstractions;

namespace Drover.IntegrationTests;

/// <summary>The `drover` CLI as an operator uses it, against a real server and agent.</summary>
public sealed class CliTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact(Timeout = 180_000)]
    public async Task Apply_list_logs_scale_kill_and_remove_through_the_cli()
    {
        await using var c = await LocalCluster.StartAsync(agents: 1);
        using var dir = new TempDir("cli");
        var server = c.BaseAddress.ToString();
        async Task<ProcessResult> Cli(params string[] args)
        {
            var r = await DroverProcess.RunCliAsync(Timeout, [.. args, "--server", server]);
            output.WriteLine($"$ drover {string.Join(' ', args)}\n{r}");
            return r;
        }
        try
        {
            var yaml = dir.Combine("echo.yaml");
            File.WriteAllText(yaml, """
                id: /cli/echo
                cmd: 'echo "hello from $MESOS_TASK_ID on port $PORT0"; echo oops >&2; exec sleep 600'
                instances: 2
                cpus: 0.1
                mem: 32
                labels:
                  team: "core"
                """);
            var apply = await Cli("app", "apply", "-f", yaml);
            Assert.True(apply.Succeeded, apply.ToString());
            Assert.Contains("applied /cli/echo", apply.Stdout);
            await c.WaitForRunningAsync("/cli/echo", 2);

            var ls = await Cli("app", "ls", "--output", "json");
            Assert.True(ls.Succeeded);
            using (var doc = JsonDocument.Parse(ls.Stdout))
            {
                var app = doc.RootElement.GetProperty("apps")[0];
                Assert.Equal("/cli/echo", app.GetProperty("id").GetString());
                Assert.Equal(2, app.GetProperty("tasksRunning").GetInt32());
                Assert.Equal("core", app.GetProperty("labels").GetProperty("team").GetString());
            }

            var ps = await Cli("ps", "/cli/echo");
            Assert.True(ps.Succeeded);
            var taskIds = ps.Stdout.Split('\n').Where(l => l.StartsWith("cli_echo.instance-")).Select(l => l.Split(' ')[0]).ToList();
            Assert.Equal(2, taskIds.Count);

            var logs = await Eventually.GetAsync(async () =>
            {
                var r = await Cli("logs", taskIds[0]);
                return r.Stdout.Contains("hello from " + taskIds[0]) ? r : null;
            }, TimeSpan.FromSeconds(30), "task stdout through the server");
            Assert.Contains("on port ", logs!.Stdout);
            var err = await Cli("logs", "--stderr", taskIds[0]);
            Assert.Contains("oops", err.Stdout);
            var all = await Cli("logs", "/cli/echo");
            Assert.Equal(2, all.Stdout.Split('\n').Count(l => l.Contains("hello from")));

            Assert.True((await Cli("app", "scale", "/cli/echo", "3")).Succeeded);
            await c.WaitForRunningAsync("/cli/echo", 3);
            var kill = await Cli("kill", taskIds[0]);
            Assert.True(kill.Succeeded, kill.ToString());
            await Eventually.AsyncAssert(async () =>
            {
                var tasks = await c.Client.ListTasksAsync("/cli/echo");
                return tasks.Count == 3 && tasks.All(t => t.Id != taskIds[0] && t.State == "TASK_RUNNING");
            }, TimeSpan.FromSeconds(30), "killed task replaced", c.Diagnostics);

            var show = await Cli("app", "show", "/cli/echo");
            Assert.Contains("instances:  3", show.Stdout);
            var versions = await Cli("app", "versions", "/cli/echo");
            Assert.Equal(2, versions.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
            var agents = await Cli("agents");
            Assert.Contains("host-1", agents.Stdout);

            Assert.True((await Cli("app", "rm", "/cli/echo")).Succeeded);
            await Eventually.AsyncAssert(async () => (await c.Client.ListTasksAsync()).Count == 0, TimeSpan.FromSeconds(30), "tasks gone after rm");

            // errors: one clear line and a non-zero exit code
            var missing = await Cli("app", "show", "/nope");
            Assert.Equal(1, missing.ExitCode);
            Assert.Contains("App '/nope' does not exist", missing.Stderr);
            var bad = dir.Combine("bad.json");
            File.WriteAllText(bad, """{"id":"/bad","cmd":"x","cpus":"lots"}""");
            var invalid = await Cli("app", "apply", "-f", bad);
            Assert.Equal(1, invalid.ExitCode);
            Assert.Contains("/cpus", invalid.Stderr);
            var usage = await Cli("app", "scale", "/x");
            Assert.Equal(2, usage.ExitCode);
            var unreachable = await DroverProcess.RunCliAsync(Timeout, "app", "ls", "--server", $"http://127.0.0.1:{FreePort.Get()}");
            Assert.Equal(1, unreachable.ExitCode);
            Assert.Contains("cannot reach the server", unreachable.Stderr);
        }
        catch
        {
            output.WriteLine(c.Diagnostics());
            throw;
        }
    }
}
