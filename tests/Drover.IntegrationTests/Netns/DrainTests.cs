using Drover.IntegrationTests.Harness;
using Drover.IntegrationTests.Harness.Netns;
using Xunit.Abstractions;

namespace Drover.IntegrationTests.Netns;

/// <summary>
/// <c>drover agent drain</c> over real hosts: every task leaves the drained host, and while they move each app's
/// healthy count (sampled all along) never drops below instances × minimumHealthCapacity.
/// </summary>
public sealed class DrainTests(ITestOutputHelper output)
{
    private static string App(string id, int instances, double minimumHealthCapacity) => $$$"""
        {"id": "{{{id}}}", "instances": {{{instances}}}, "cpus": 0.05, "mem": 32,
         "cmd": "exec python3 -m http.server $PORT0",
         "healthChecks": [{"protocol": "HTTP", "path": "/", "intervalSeconds": 1, "gracePeriodSeconds": 60, "maxConsecutiveFailures": 3}],
         "upgradeStrategy": {"minimumHealthCapacity": {{{minimumHealthCapacity}}}, "maximumOverCapacity": 0.5}}
        """;

    [Fact(Timeout = 300_000)]
    public async Task Drain_moves_every_task_off_the_host_never_below_minimum_health_capacity()
    {
        await using var c = await NetnsCluster.StartAsync(new NetnsClusterOptions { Agents = 3 });
        try
        {
            var apps = new Dictionary<string, int> { ["/web"] = 3, ["/api"] = 2 };
            var minimum = new Dictionary<string, int> { ["/web"] = 3, ["/api"] = 1 }; // ceil(3 × 1.0), ceil(2 × 0.5)
            await c.ApplyAsync(App("/web", 3, 1.0));
            await c.ApplyAsync(App("/api", 2, 0.5));
            foreach (var (id, n) in apps) await HealthyAsync(c, id, n);
            // drain the host with the most tasks
            var tasks = await c.Client.ListTasksAsync();
            var host = tasks.GroupBy(t => t.Host!).OrderByDescending(g => g.Count()).First().Key;
            var moving = tasks.Count(t => t.Host == host);
            Assert.True(moving > 0);

            await using var sampler = await HealthSampler.StartAsync(c.Client, apps.Keys);
            var drain = await c.CliAsync("agent", "drain", host);
            Assert.True(drain.Succeeded, drain.ToString());
            Assert.Contains($"{host}: draining, {moving} task(s) to move away", drain.Stdout);

            await Eventually.AsyncAssert(async () =>
            {
                var all = await c.Client.ListTasksAsync();
                var agents = await c.Client.GetAgentsAsync();
                return all.All(t => t.Host != host) && agents.Agents.Single(a => a.Agent.Hostname == host).Drain == "drained";
            }, TimeSpan.FromSeconds(150), $"every task moved off {host}", c.Diagnostics);
            foreach (var (id, n) in apps) await HealthyAsync(c, id, n);
            var (samples, changes) = await sampler.StopAsync();

            output.WriteLine($"{samples} samples after {changes} task state/health changes; lowest healthy: {string.Join(", ", sampler.Lowest.Select(kv => $"{kv.Key}={kv.Value}"))}");
            // each moved task is at least its replacement's TASK_RUNNING and its own TASK_KILLED: the stream saw the move
            Assert.True(changes >= 2 * moving, $"the event stream reported only {changes} task state/health changes for {moving} moved task(s)");
            foreach (var (id, min) in minimum) Assert.True(sampler.Lowest[id] >= min, $"{id} fell to {sampler.Lowest[id]} healthy (minimum {min})");
            Assert.Empty(c.LiveTaskFiles(host));

            var listing = await c.CliAsync("agents");
            Assert.True(listing.Succeeded, listing.ToString());
            Assert.Contains(listing.Stdout.Split('\n'), l => l.Contains(host) && l.Contains("drained"));

            var undrain = await c.CliAsync("agent", "undrain", host);
            Assert.True(undrain.Succeeded, undrain.ToString());
            Assert.Contains($"{host}: active, takes new tasks", undrain.Stdout);
            var unknown = await c.CliAsync("agent", "drain", "nohost");
            Assert.Equal(1, unknown.ExitCode);
            Assert.Contains("no agent 'nohost' (agents: h1, h2, h3)", unknown.Stderr);
        }
        catch
        {
            output.WriteLine(c.Diagnostics());
            throw;
        }
    }

    private static Task HealthyAsync(NetnsCluster c, string id, int n) => Eventually.AsyncAssert(async () =>
    {
        var app = await c.Client.GetAppAsync(id);
        return app.TasksHealthy == n && app.Tasks!.Count == n && app.Deployments.Count == 0;
    }, TimeSpan.FromSeconds(120), $"{id} has {n} healthy tasks", c.Diagnostics);
}
