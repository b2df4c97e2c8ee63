using Drover.Api.Marathon;
using Drover.Core.Cluster;
using Drover.IntegrationTests.Harness;
using Drover.IntegrationTests.Harness.Netns;
using Xunit.Abstractions;

namespace Drover.IntegrationTests.Netns;

/// <summary>
/// The partition scenario over real hosts: an app with hostname UNIQUE on 3 of 4 agents; one agent is cut
/// off for longer than the unreachable timeout (a replacement starts on the 4th), its task is killed meanwhile (the
/// agent restarts it locally), and after healing exactly the desired count remains, each task really running.
/// </summary>
public sealed class PartitionTests(ITestOutputHelper output)
{
    private const string App = """
        {"id": "/svc", "instances": 3, "cpus": 0.1, "mem": 16, "cmd": "exec sleep 100000",
         "constraints": [["hostname", "UNIQUE"]], "backoffSeconds": 1,
         "unreachableStrategy": {"inactiveAfterSeconds": 4, "expungeAfterSeconds": 600},
         "labels": {"DROVER_UNREACHABLE_KEEP": "returning"}}
        """;

    [Fact(Timeout = 300_000)]
    public async Task Cut_off_agent_restarts_its_task_locally_and_after_healing_exactly_the_desired_count_remains()
    {
        await using var c = await NetnsCluster.StartAsync(new NetnsClusterOptions { Agents = 4, ServerArgs = ["--agent-timeout", "3s"] });
        try
        {
            await c.ApplyAsync(App);
            var before = await RunningOnAsync(c, 3, "three tasks on three hosts");
            var cut = before[0].Host!;
            var spare = c.Agents.Select(a => a.Hostname).Except(before.Select(t => t.Host!)).Single();
            var original = before[0];
            var pid = Assert.Single(c.LiveTaskFiles(cut), f => f.TaskId == original.Id).Pid;

            await c.CutAsync(cut);
            // meanwhile, the task on the cut-off host dies
            Libc.Kill(pid, UnixSignal.Kill);

            // the agent restarts it by itself as the next incarnation …
            var agent = c.Agent(cut);
            await agent.Process.WaitForLineAsync(l => l.Contains($"restarted here as {TaskIncarnation.Next(original.Id)}"), TimeSpan.FromSeconds(60));
            var restarted = await Eventually.GetAsync(() => Task.FromResult(c.LiveTaskFiles(cut).FirstOrDefault(f => f.TaskId == TaskIncarnation.Next(original.Id))),
                TimeSpan.FromSeconds(30), "the restarted incarnation runs on the cut-off host", c.Diagnostics);
            Assert.NotEqual(pid, restarted.Pid);

            // … while the server, past the unreachable timeout, starts a replacement on the spare host
            var during = await Eventually.GetAsync(async () =>
            {
                var agents = await c.Client.GetAgentsAsync();
                var tasks = await c.Client.ListTasksAsync("/svc");
                var unreachable = agents.Agents.Single(a => a.Agent.Hostname == cut).Agent.Status == AgentStatus.Unreachable;
                var onSpare = tasks.Where(t => t.Host == spare && t.State == "TASK_RUNNING").ToList();
                return unreachable && onSpare.Count == 1 ? tasks : null;
            }, TimeSpan.FromSeconds(60), $"{cut} unreachable and a replacement running on {spare}", c.Diagnostics);
            Assert.Equal("TASK_UNREACHABLE", Assert.Single(during, t => t.Host == cut).State); // what the server knows, truthfully
            Assert.True(NetnsCluster.IsAlive(restarted.Pid), "the locally restarted task still runs while cut off");

            await c.HealAsync(cut);

            // exactly the desired count, the returning (restarted) task kept, the replacement killed
            var after = await Eventually.GetAsync(async () =>
            {
                var tasks = await c.Client.ListTasksAsync("/svc");
                return tasks.Count == 3 && tasks.All(t => t.State == "TASK_RUNNING") && tasks.Any(t => t.Id == restarted.TaskId) ? tasks : null;
            }, TimeSpan.FromSeconds(90), "three running tasks, the restarted one among them", c.Diagnostics);
            Assert.Equal(3, after.Select(t => t.Host).Distinct().Count());
            Assert.DoesNotContain(after, t => t.Host == spare);
            Assert.Equal(original.Ports, after.Single(t => t.Id == restarted.TaskId).Ports);

            // the API shows every task's true state: each listed task runs, and nothing runs that is not listed
            await AssertApiMatchesHostsAsync(c);
            var app = await c.Client.GetAppAsync("/svc");
            Assert.Equal((3, 3), (app.Instances, app.TasksRunning));
            Assert.Equal(original.Id, app.LastTaskFailure?.TaskId);
        }
        catch
        {
            output.WriteLine(c.Diagnostics());
            throw;
        }
    }

    private static Task<IReadOnlyList<MarathonTask>> RunningOnAsync(NetnsCluster c, int count, string because) =>
        Eventually.GetAsync(async () =>
        {
            var tasks = await c.Client.ListTasksAsync("/svc");
            return tasks.Count == count && tasks.All(t => t.State == "TASK_RUNNING") ? tasks : null;
        }, TimeSpan.FromSeconds(90), because, c.Diagnostics);

    /// <summary>Waits until the live task processes on every host are exactly the tasks the API lists, each TASK_RUNNING.</summary>
    internal static Task AssertApiMatchesHostsAsync(NetnsCluster c, string appId = "/svc") =>
        Eventually.AsyncAssert(async () =>
        {
            var tasks = await c.Client.ListTasksAsync(appId);
            var listed = tasks.Select(t => (t.Host, t.Id)).Order().ToList();
            var live = c.Agents.SelectMany(a => c.LiveTaskFiles(a.Hostname).Where(f => f.AppId == appId).Select(f => ((string?)a.Hostname, f.TaskId))).Order().ToList();
            return tasks.All(t => t.State == "TASK_RUNNING") && listed.SequenceEqual(live);
        }, TimeSpan.FromSeconds(60), "the tasks the API lists are exactly the task processes alive on the hosts", c.Diagnostics);
}
