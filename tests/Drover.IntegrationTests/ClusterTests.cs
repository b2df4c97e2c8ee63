using Drover.IntegrationTests.Harness;
using Xunit.Abstractions;

namespace Drover.IntegrationTests;

/// <summary>
/// A real server and two real agent processes running a real HTTP app: spread, scaling,
/// self-healing after a crash and after failing health checks.
/// </summary>
public sealed class ClusterTests(ITestOutputHelper output)
{
    /// <summary>Serves its sandbox over HTTP; health is GET /ok, so deleting the file makes the task unhealthy. Writes its pid.</summary>
    public const string WebApp = """
        {"id":"/it/web","cmd":"echo $$ > pid; touch ok; exec python3 -m http.server $PORT0 --bind 127.0.0.1",
         "instances":2,"cpus":0.1,"mem":64,"constraints":[["hostname","UNIQUE"]],
         "healthChecks":[{"protocol":"HTTP","path":"/ok","gracePeriodSeconds":15,"intervalSeconds":1,"timeoutSeconds":1,"maxConsecutiveFailures":2}]}
        """;

    [Fact(Timeout = 180_000)]
    public async Task Deploys_spreads_scales_and_heals_a_real_http_app()
    {
        await using var c = await LocalCluster.StartAsync(agents: 2);
        try
        {
            await c.ApplyAsync(WebApp);
            var app = await c.WaitForRunningAsync("/it/web", 2);
            Assert.Equal(2, app.Tasks!.Select(t => t.Host).Distinct().Count()); // UNIQUE hostname: one per agent
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
            foreach (var t in app.Tasks!)
                Assert.Equal("", await http.GetStringAsync($"http://127.0.0.1:{t.Ports[0]}/ok"));

            // scale up past UNIQUE is impossible: the extra instance waits in the queue with the reason
            await c.Client.ScaleAppAsync("/it/web", 3);
            var queue = await Eventually.GetAsync(async () => (await c.Client.GetQueueAsync()).FirstOrDefault(), TimeSpan.FromSeconds(30), "queue entry", c.Diagnostics);
            Assert.Contains(queue!.ProcessedOffersSummary!.RejectSummaryLastOffers, r => r.Reason == "UnfulfilledConstraint");
            await c.Client.ScaleAppAsync("/it/web", 1, force: true); // the scale to 3 can never finish: override it
            app = await c.WaitForRunningAsync("/it/web", 1);

            // crash: SIGKILL the task's process; a replacement must come up healthy
            var victim = app.Tasks!.Single();
            var pid = int.Parse(File.ReadAllText(Path.Combine(c.Sandbox(victim.Id), "pid")).Trim());
            KillProcess(pid);
            app = await Eventually.GetAsync(async () =>
            {
                var a = await c.Client.GetAppAsync("/it/web");
                return a.Tasks!.Count == 1 && a.Tasks[0].Id != victim.Id && a.TasksHealthy == 1 ? a : null;
            }, TimeSpan.FromSeconds(60), "crashed task replaced", c.Diagnostics);
            Assert.Contains("signal 9", app.LastTaskFailure?.Message ?? "");

            // failing health checks: the agent kills the task after maxConsecutiveFailures, and it is replaced
            var sick = app.Tasks![0];
            File.Delete(Path.Combine(c.Sandbox(sick.Id), "ok"));
            app = await Eventually.GetAsync(async () =>
            {
                var a = await c.Client.GetAppAsync("/it/web");
                return a.Tasks!.Count == 1 && a.Tasks[0].Id != sick.Id && a.TasksHealthy == 1 ? a : null;
            }, TimeSpan.FromSeconds(60), "unhealthy task replaced", c.Diagnostics);
            Assert.Contains("health", app.LastTaskFailure?.Message ?? "");
        }
        catch
        {
            output.WriteLine(c.Diagnostics());
            throw;
        }
    }

    internal static void KillProcess(int pid)
    {
        if (pid <= 1) throw new ArgumentOutOfRangeException(nameof(pid));
        using var p = System.Diagnostics.Process.GetProcessById(pid);
        p.Kill();
    }
}

/// <summary>Restarts of the server (SIGKILL) and of an agent keep apps and running tasks.</summary>
public sealed class RestartTests(ITestOutputHelper output)
{
    [Fact(Timeout = 180_000)]
    public async Task Server_sigkill_and_agent_restart_keep_tasks_running()
    {
        await using var c = await LocalCluster.StartAsync(agents: 2);
        try
        {
            await c.ApplyAsync(ClusterTests.WebApp);
            var before = await c.WaitForRunningAsync("/it/web", 2);
            var pids = before.Tasks!.ToDictionary(t => t.Id, t => File.ReadAllText(Path.Combine(c.Sandbox(t.Id), "pid")).Trim());

            await c.RestartServerAsync();
            await c.WaitForAgentsAsync();
            var after = await c.WaitForRunningAsync("/it/web", 2);
            Assert.Equal(pids.Keys.Order(), after.Tasks!.Select(t => t.Id).Order());
            Assert.Equal(before.Version, after.Version);
            foreach (var (id, pid) in pids) Assert.True(Directory.Exists($"/proc/{pid}"), $"task {id} (pid {pid}) must survive a server restart");

            await c.RestartAgentAsync(0);
            await c.RestartAgentAsync(1);
            after = await c.WaitForRunningAsync("/it/web", 2);
            Assert.Equal(pids.Keys.Order(), after.Tasks!.Select(t => t.Id).Order());
            foreach (var (id, pid) in pids)
            {
                Assert.True(Directory.Exists($"/proc/{pid}"), $"task {id} (pid {pid}) must survive an agent restart");
                Assert.Equal(pid, File.ReadAllText(Path.Combine(c.Sandbox(id), "pid")).Trim());
            }

            // and the restarted pieces still work together
            await c.Client.ScaleAppAsync("/it/web", 1);
            await c.WaitForRunningAsync("/it/web", 1);
        }
        catch
        {
            output.WriteLine(c.Diagnostics());
            throw;
        }
    }
}
