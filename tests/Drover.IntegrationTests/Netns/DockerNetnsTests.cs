using System.Net;
using Drover.Api.Marathon;
using Drover.Core.Cluster;
using Drover.IntegrationTests.Harness;
using Drover.IntegrationTests.Harness.Netns;
using Xunit.Abstractions;

namespace Drover.IntegrationTests.Netns;

/// <summary>
/// The Docker driver across namespace hosts, each with a dockerd of its own (image made locally): a BRIDGE app's
/// port mapping is reached from another host, Drover's DNS answers the hosts' addresses (also inside a container),
/// an agent restart adopts its containers without restarting them, and a cut-off agent restarts a killed container
/// locally while the server replaces it elsewhere; after healing exactly the desired containers run.
/// </summary>
public sealed class DockerNetnsTests(ITestOutputHelper output)
{
    private const string Web = "/dk/web";
    private const string Probe = "/dk/probe";

    private static readonly string WebApp = $$$"""
        {"id": "{{{Web}}}", "instances": 2, "cpus": 0.1, "mem": 32,
         "container": {"type": "DOCKER", "docker": {"image": "{{{DockerDaemon.Image}}}", "network": "BRIDGE"},
                       "portMappings": [{"containerPort": 8080, "hostPort": 0, "name": "http"}]},
         "cmd": "echo \"hello from $MESOS_TASK_ID\" > /www/index.html; exec httpd -f -p 8080 -h /www",
         "constraints": [["hostname", "UNIQUE"]], "backoffSeconds": 1,
         "healthChecks": [{"protocol": "HTTP", "portIndex": 0, "path": "/index.html", "gracePeriodSeconds": 15,
                           "intervalSeconds": 1, "timeoutSeconds": 2, "maxConsecutiveFailures": 3}],
         "unreachableStrategy": {"inactiveAfterSeconds": 4, "expungeAfterSeconds": 600},
         "labels": {"DROVER_UNREACHABLE_KEEP": "returning"}}
        """;

    // HOST network: the container shares its host's network, so it reaches the server's DNS on port 53.
    private static readonly string ProbeApp = $$$"""
        {"id": "{{{Probe}}}", "instances": 1, "cpus": 0.05, "mem": 16,
         "container": {"type": "DOCKER", "docker": {"image": "{{{DockerDaemon.Image}}}", "network": "HOST"}},
         "cmd": "while true; do nslookup web-dk.service.drover; sleep 1; done"}
        """;

    [Fact(Timeout = 480_000)]
    public async Task Docker_apps_across_hosts_are_reachable_resolvable_adopted_and_heal_to_the_desired_count()
    {
        await using var c = await NetnsCluster.StartAsync(new NetnsClusterOptions
        {
            Agents = 3, Docker = true, DnsOnServerAddress = true, ServerArgs = ["--agent-timeout", "3s"],
        });
        try
        {
            await c.ApplyAsync(WebApp);
            await c.ApplyAsync(ProbeApp);
            var tasks = await HealthyWebTasksAsync(c, 2);

            // the port mapping, from the operator's host
            foreach (var t in tasks)
            {
                using var http = c.Ctl.CreateHttpClient(new Uri($"http://{AddressOf(c, t.Host!)}:{t.Ports.Single()}"), TimeSpan.FromSeconds(5));
                Assert.Equal($"hello from {t.Id}\n", await http.GetStringAsync("/index.html"));
            }

            // DNS answers the containers' host addresses, from another host and from inside a container
            var expected = tasks.Select(t => AddressOf(c, t.Host!).ToString()).Order(StringComparer.Ordinal).ToList();
            await Eventually.AsyncAssert(async () =>
            {
                var dig = await c.Ctl.RunAsync("dig", [$"@{c.ServerHost.Address}", "+short", "web-dk.service.drover"], TimeSpan.FromSeconds(20));
                return dig.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Order(StringComparer.Ordinal).SequenceEqual(expected);
            }, TimeSpan.FromSeconds(30), $"dig web-dk.service.drover answers {string.Join(", ", expected)}", c.Diagnostics);
            var probe = Assert.Single(await c.Client.ListTasksAsync(Probe));
            await Eventually.AsyncAssert(async () =>
            {
                var logs = await c.CliAsync("logs", probe.Id, "--tail", "20");
                return expected.All(a => logs.Stdout.Contains(a, StringComparison.Ordinal));
            }, TimeSpan.FromSeconds(60), "nslookup inside a HOST container resolves through Drover's DNS", c.Diagnostics);

            await AgentRestartAdoptsContainersAsync(c, tasks[1]);
            await PartitionAsync(c, tasks[0]);
        }
        catch
        {
            output.WriteLine(c.Diagnostics());
            throw;
        }
    }

    /// <summary>SIGKILL the agent and start it again: the same container (id and start time) keeps running as the same task.</summary>
    private async Task AgentRestartAdoptsContainersAsync(NetnsCluster c, MarathonTask task)
    {
        var docker = c.Agent(task.Host!).Docker!;
        var before = await docker.DockerAsync("inspect", "-f", "{{.Id}} {{.State.StartedAt}}", "drover-" + task.Id);
        await c.RestartAgentAsync(task.Host!);
        await c.Agent(task.Host!).Process.WaitForLineAsync(l => l.Contains("registered", StringComparison.OrdinalIgnoreCase), TimeSpan.FromSeconds(60));
        await HealthyWebTasksAsync(c, 2);
        Assert.Equal(before, await docker.DockerAsync("inspect", "-f", "{{.Id}} {{.State.StartedAt}}", "drover-" + task.Id));
        Assert.Contains(task.Id, await RunningContainersAsync(c, task.Host!));
        output.WriteLine($"agent on {task.Host} restarted: container of {task.Id} adopted ({before})");
    }

    private async Task PartitionAsync(NetnsCluster c, MarathonTask original)
    {
        var cut = original.Host!;
        var spare = c.Agents.Select(a => a.Hostname).Except((await c.Client.ListTasksAsync(Web)).Select(t => t.Host!)).Single();
        await c.CutAsync(cut);
        // behind Drover's back, on the cut-off host
        await c.Agent(cut).Docker!.DockerAsync("kill", "drover-" + original.Id);

        var next = TaskIncarnation.Next(original.Id);
        await Eventually.AsyncAssert(async () => (await RunningContainersAsync(c, cut)).Contains(next),
            TimeSpan.FromSeconds(60), $"the cut-off agent restarts the container as {next}", c.Diagnostics);

        await Eventually.AsyncAssert(async () =>
        {
            var agents = await c.Client.GetAgentsAsync();
            var tasks = await c.Client.ListTasksAsync(Web);
            return agents.Agents.Single(a => a.Agent.Hostname == cut).Agent.Status == AgentStatus.Unreachable
                && tasks.Any(t => t.Host == spare && t.State == "TASK_RUNNING");
        }, TimeSpan.FromSeconds(90), $"{cut} unreachable and a replacement container running on {spare}", c.Diagnostics);

        await c.HealAsync(cut);

        var after = await Eventually.GetAsync(async () =>
        {
            var tasks = await c.Client.ListTasksAsync(Web);
            return tasks.Count == 2 && tasks.All(t => t.State == "TASK_RUNNING") && tasks.Any(t => t.Id == next) ? tasks : null;
        }, TimeSpan.FromSeconds(90), $"two running tasks, {next} among them", c.Diagnostics);
        Assert.DoesNotContain(after, t => t.Host == spare);

        // the API and the daemons agree: exactly the listed containers run, each on the listed host
        await Eventually.AsyncAssert(async () =>
        {
            var listed = (await c.Client.ListTasksAsync(Web)).Select(t => $"{t.Host} {t.Id}").Order().ToList();
            var running = new List<string>();
            foreach (var a in c.Agents) running.AddRange((await RunningContainersAsync(c, a.Hostname)).Select(id => $"{a.Hostname} {id}"));
            return listed.SequenceEqual(running.Order());
        }, TimeSpan.FromSeconds(60), "the containers running on the hosts are exactly the tasks the API lists", c.Diagnostics);
        Assert.Equal(1, (await c.Client.GetAppAsync(Probe)).TasksRunning);
    }

    private static Task<IReadOnlyList<MarathonTask>> HealthyWebTasksAsync(NetnsCluster c, int count) =>
        Eventually.GetAsync(async () =>
        {
            var tasks = await c.Client.ListTasksAsync(Web);
            return tasks.Count == count && tasks.All(t => t.State == "TASK_RUNNING" && t.HealthCheckResults is { Count: > 0 } h && h.All(r => r.Alive))
                ? tasks : null;
        }, TimeSpan.FromSeconds(120), $"{count} healthy {Web} containers", c.Diagnostics);

    /// <summary>Task ids of the app's running containers on a host, as its dockerd says.</summary>
    private static async Task<IReadOnlyList<string>> RunningContainersAsync(NetnsCluster c, string host)
    {
        var ps = await c.Agent(host).Docker!.DockerAsync("ps", "--filter", $"label=drover.app-id={Web}", "--format", "{{.Label \"drover.task-id\"}}");
        return ps.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    }

    private static IPAddress AddressOf(NetnsCluster c, string host) => c.Agent(host).Host.Address;
}
