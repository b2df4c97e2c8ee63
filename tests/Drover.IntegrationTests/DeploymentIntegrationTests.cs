using Drover.IntegrationTests.Harness;
using Xunit.Abstractions;

namespace Drover.IntegrationTests;

/// <summary>Deployments with real processes: a server SIGKILLed mid-upgrade resumes it; the CLI follows, fails, reverts and rolls back.</summary>
public sealed class DeploymentIntegrationTests(ITestOutputHelper output)
{
    private const string App = """
        {"id":"/dep/web","cmd":"echo $VERSION > version; touch ok; exec python3 -m http.server $PORT0 --bind 127.0.0.1",
         "instances":4,"cpus":0.1,"mem":32,"env":{"VERSION":"v1"},"upgradeStrategy":{"minimumHealthCapacity":0.5,"maximumOverCapacity":0},
         "healthChecks":[{"protocol":"HTTP","path":"/ok","gracePeriodSeconds":15,"intervalSeconds":1,"timeoutSeconds":1,"maxConsecutiveFailures":3}]}
        """;

    [Fact(Timeout = 240_000)]
    public async Task A_server_killed_mid_deployment_resumes_it_after_restart()
    {
        await using var c = await LocalCluster.StartAsync(agents: 2);
        try
        {
            await c.ApplyAsync(App);
            await c.WaitForRunningAsync("/dep/web", 4);
            await c.ApplyAsync(App.Replace("\"v1\"", "\"v2\""));
            await Eventually.AsyncAssert(async () => (await c.Client.ListDeploymentsAsync()).Count == 1, TimeSpan.FromSeconds(10), "upgrade running");
            await c.RestartServerAsync(); // SIGKILL in the middle of the rolling upgrade
            await c.WaitForAgentsAsync();
            var app = await c.WaitForRunningAsync("/dep/web", 4, TimeSpan.FromSeconds(120));
            Assert.Equal("v2", app.Env["VERSION"]);
            Assert.All(app.Tasks!, t => Assert.Equal("v2", File.ReadAllText(Path.Combine(c.Sandbox(t.Id), "version")).Trim()));
            Assert.Empty(await c.Client.ListDeploymentsAsync());
        }
        catch
        {
            output.WriteLine(c.Diagnostics());
            throw;
        }
    }

    [Fact(Timeout = 240_000)]
    public async Task The_cli_follows_deployments_reports_failure_reverts_and_rolls_back()
    {
        await using var c = await LocalCluster.StartAsync(agents: 1);
        using var dir = new TempDir("cli-deploy");
        var server = c.BaseAddress.ToString();
        async Task<ProcessResult> Cli(params string[] args)
        {
            var r = await DroverProcess.RunCliAsync(TimeSpan.FromSeconds(90), [.. args, "--server", server]);
            output.WriteLine($"$ drover {string.Join(' ', args)}\n{r}");
            return r;
        }
        await using var events = DroverProcess.Start(["events", "--type", "deployment_success", "--type", "deployment_failed", "--server", server]);
        try
        {
            var good = dir.Combine("good.json");
            File.WriteAllText(good, App.Replace("\"instances\":4", "\"instances\":2"));
            var ok = await Cli("app", "apply", "-f", good);
            Assert.True(ok.Succeeded, ok.ToString());
            Assert.Contains("succeeded", ok.Stdout);
            await events.WaitForLineAsync(l => l.Contains("deployment_success"), TimeSpan.FromSeconds(30));

            // a version that never gets healthy: the deadline fails it, the CLI exits 1, auto-revert restores v1
            var bad = dir.Combine("bad.json");
            File.WriteAllText(bad, App.Replace("\"instances\":4", "\"instances\":2").Replace("touch ok; ", "")
                .Replace("\"env\":{\"VERSION\":\"v1\"}", "\"env\":{\"VERSION\":\"broken\"},\"labels\":{\"DROVER_PROGRESS_DEADLINE_SECONDS\":\"4\",\"DROVER_AUTO_REVERT\":\"true\"}"));
            var failed = await Cli("app", "apply", "-f", bad);
            Assert.Equal(1, failed.ExitCode);
            Assert.Contains("FAILED", failed.Stdout);
            Assert.Contains("progress deadline", failed.Stdout);
            await events.WaitForLineAsync(l => l.Contains("deployment_failed"), TimeSpan.FromSeconds(30));
            var app = await c.WaitForRunningAsync("/dep/web", 2, TimeSpan.FromSeconds(90));
            Assert.Equal("v1", app.Env["VERSION"]);

            // an explicit rollback to an older config after a good upgrade
            var v3 = dir.Combine("v3.json");
            File.WriteAllText(v3, App.Replace("\"instances\":4", "\"instances\":2").Replace("\"v1\"", "\"v3\""));
            Assert.True((await Cli("app", "apply", "-f", v3)).Succeeded);
            var rollback = await Cli("app", "rollback", "/dep/web", "--yes");
            Assert.True(rollback.Succeeded, rollback.ToString());
            app = await c.WaitForRunningAsync("/dep/web", 2, TimeSpan.FromSeconds(90));
            Assert.Equal("v1", app.Env["VERSION"]);
            var list = await Cli("deployments");
            Assert.True(list.Succeeded);
            Assert.StartsWith("ID", list.Stdout);
        }
        catch
        {
            output.WriteLine(c.Diagnostics());
            output.WriteLine(events.FormatOutput());
            throw;
        }
    }
}
