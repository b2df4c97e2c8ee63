using Drover.IntegrationTests.Harness;
using Drover.IntegrationTests.Harness.Netns;

namespace Drover.IntegrationTests.Netns;

/// <summary>A server and agents on separate namespace hosts: they join over the switch and tasks are reachable from another host.</summary>
public sealed class NetnsClusterTests
{
    [Fact(Timeout = 240_000)]
    public async Task Agents_on_their_own_hosts_join_and_run_tasks_reachable_from_another_host()
    {
        await using var c = await NetnsCluster.StartAsync(new NetnsClusterOptions { Agents = 2 });
        var agents = await c.Client.GetAgentsAsync();
        foreach (var a in c.Agents)
        {
            var view = Assert.Single(agents.Agents, v => v.Agent.Hostname == a.Hostname);
            Assert.Equal($"http://{a.Host.Address}:5051", view.Agent.Endpoint);
        }

        await c.ApplyAsync("""
            {"id": "/web", "instances": 2, "cpus": 0.1, "mem": 32,
             "cmd": "exec python3 -m http.server $PORT0", "constraints": [["hostname", "UNIQUE"]],
             "healthChecks": [{"protocol": "HTTP", "path": "/", "intervalSeconds": 1, "gracePeriodSeconds": 30}]}
            """);
        var app = await Eventually.GetAsync(async () =>
        {
            var a = await c.Client.GetAppAsync("/web");
            return a.TasksHealthy == 2 ? a : null;
        }, TimeSpan.FromSeconds(90), "/web has 2 healthy tasks", c.Diagnostics);

        Assert.Equal("h1,h2", string.Join(",", app.Tasks!.Select(t => t.Host).Order()));
        foreach (var t in app.Tasks!)
        {
            var host = c.Agent(t.Host!).Host;
            var file = Assert.Single(c.TaskFiles(t.Host!), f => f.TaskId == t.Id);
            Assert.True(Directory.Exists($"/proc/{file.Pid}"), $"task {t.Id} pid {file.Pid} runs");
            using var http = c.Ctl.CreateHttpClient(new Uri($"http://{host.Address}:{t.Ports[0]}"), TimeSpan.FromSeconds(5));
            Assert.True((await http.GetAsync("/")).IsSuccessStatusCode, $"task on {t.Host} answers from the ctl host");
        }

        var cli = await c.CliAsync("agents", "--output", "json");
        Assert.True(cli.Succeeded, cli.ToString());
        Assert.Contains("\"h2\"", cli.Stdout);
    }
}
