using System.Diagnostics;
using System.Text.Json;
using Drover.Api.Client;
using Drover.Core.Cluster;
using Drover.Core.Json;
using Drover.IntegrationTests.Harness;
using Drover.State.Tests.Etcd;
using Xunit.Abstractions;

namespace Drover.IntegrationTests.Ha;

/// <summary>
/// Agent liveness across leader failovers, as real processes (3 etcd members, 3 servers, 2 agents): the leader stores when
/// it last heard each agent, and a new leader counts each agent's grace from that, not afresh.
/// </summary>
public sealed class HaLivenessTests(ITestOutputHelper output)
{
    private const string App = """{"id":"/ha/live","cmd":"exec sleep 600","instances":2,"cpus":0.05,"mem":16}""";

    [Fact(Timeout = 300_000)]
    public async Task A_new_leader_marks_an_agent_that_died_before_the_failover_within_the_rest_of_its_grace()
    {
        var grace = TimeSpan.FromSeconds(30);
        await using var etcd = await EtcdCluster.StartAsync(3);
        using var dir = new TempDir("ha-live");
        var servers = new List<DroverProcess>();
        DroverProcess? doomed = null, spare = null;
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        string Diagnostics() => string.Join("\n", servers.Select(s => s.FormatOutput(60))) + "\n" + doomed?.FormatOutput(40) + "\n" + spare?.FormatOutput(40);
        try
        {
            await HaProbes.StartServersAsync(etcd, dir, servers, 3, "--agent-timeout", $"{grace.TotalSeconds:0}s");
            var leader = await HaProbes.AgreedLeaderAsync(http, servers, Diagnostics);
            var leaderProcess = servers.Single(s => HaProbes.HostPort(s) == leader);
            var survivors = servers.Where(s => s != leaderProcess).ToList();
            using var client = new DroverClient(survivors[0].BaseAddress!);

            // both tasks on "doomed" (the only agent when the app starts), then "spare" joins to take them over
            doomed = HaProbes.StartAgent(servers, dir.Combine("doomed"), "doomed");
            var doomedId = await AgentIdAsync(client, "doomed", Diagnostics);
            using (var doc = JsonDocument.Parse(App)) await client.PutAppAsync("/ha/live", doc.RootElement.Clone());
            var first = await TasksOnAsync(client, "doomed", 2, Diagnostics);
            spare = HaProbes.StartAgent(servers, dir.Combine("spare"), "spare");
            await AgentIdAsync(client, "spare", Diagnostics);

            await doomed.KillAsync(UnixSignal.Stop); // frozen: no heartbeat, its tasks keep running
            var stoppedAt = DateTimeOffset.UtcNow;
            // partway through its grace, as every server's store shows it: silent for 12 s
            await Eventually.AsyncAssert(async () => await ListedLastSeenAsync(client, doomedId) is { } seen && DateTimeOffset.UtcNow - seen > TimeSpan.FromSeconds(12),
                TimeSpan.FromSeconds(60), "the stored last-seen time of the stopped agent is 12 s old", Diagnostics);
            var storedSeen = (await ListedLastSeenAsync(client, doomedId))!.Value;
            Assert.Equal(AgentStatus.Active, await StatusAsync(client, doomedId));

            var clock = Stopwatch.StartNew();
            var killedAt = DateTimeOffset.UtcNow;
            await leaderProcess.KillAsync(UnixSignal.Kill);
            var newLeader = await HaProbes.AgreedLeaderAsync(http, survivors, Diagnostics);
            var elected = clock.Elapsed;
            await Eventually.AsyncAssert(async () => await StatusAsync(client, doomedId) == AgentStatus.Unreachable,
                TimeSpan.FromSeconds(90), "the stopped agent marked unreachable by the new leader", Diagnostics);
            var marked = clock.Elapsed;
            var left = grace - (killedAt - storedSeen);
            output.WriteLine($"last stored heartbeat {(stoppedAt - storedSeen).TotalSeconds:F1} s before the agent was stopped; new leader {newLeader} " +
                $"agreed {elected.TotalSeconds:F1} s after the kill; agent marked unreachable {marked.TotalSeconds:F1} s after the kill " +
                $"(grace {grace.TotalSeconds:0} s, {left.TotalSeconds:F1} s of it left at the kill)");
            // With the rest of its grace this comes about 18–20 s (30 − 12, less up to one 2 s flush of the others' times)
            // after the election (the leaderless time does not count against agents); a fresh grace would take the whole
            // 30 s after it. The bound sits between them, with room for a slow machine.
            Assert.True(marked - elected < grace - TimeSpan.FromSeconds(4),
                $"marked unreachable {(marked - elected).TotalSeconds:F1} s after the election: the new leader gave the agent a fresh grace");

            // its tasks are replaced on the other agent
            var replaced = await TasksOnAsync(client, "spare", 2, Diagnostics);
            Assert.Empty(replaced.Intersect(first));
        }
        catch
        {
            output.WriteLine(Diagnostics());
            throw;
        }
        finally
        {
            if (doomed is not null) await doomed.DisposeAsync();
            if (spare is not null) await spare.DisposeAsync();
            foreach (var s in servers) await s.DisposeAsync();
            LocalCluster.KillStrayTasks(dir.Combine("doomed"));
            LocalCluster.KillStrayTasks(dir.Combine("spare"));
        }
    }

    [Fact(Timeout = 300_000)]
    public async Task Live_agents_keep_every_task_through_two_leader_kills()
    {
        var grace = TimeSpan.FromSeconds(10); // the default
        await using var etcd = await EtcdCluster.StartAsync(3);
        using var dir = new TempDir("ha-alive");
        var servers = new List<DroverProcess>();
        var agents = new List<DroverProcess>();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        string Diagnostics() => string.Join("\n", servers.Select(s => s.FormatOutput(60))) + "\n" + string.Join("\n", agents.Select(a => a.FormatOutput(40)));
        try
        {
            await HaProbes.StartServersAsync(etcd, dir, servers);
            agents.Add(HaProbes.StartAgent(servers, dir.Combine("a"), "alive-a"));
            agents.Add(HaProbes.StartAgent(servers, dir.Combine("b"), "alive-b"));
            var alive = servers.ToList();
            var leader = await HaProbes.AgreedLeaderAsync(http, alive, Diagnostics);
            using (var client = new DroverClient(alive.First(s => HaProbes.HostPort(s) != leader).BaseAddress!))
            {
                await AgentIdAsync(client, "alive-a", Diagnostics);
                await AgentIdAsync(client, "alive-b", Diagnostics);
                using var doc = JsonDocument.Parse(App.Replace("\"instances\":2", "\"instances\":4", StringComparison.Ordinal));
                await client.PutAppAsync("/ha/live", doc.RootElement.Clone());
            }
            var before = await RunningAsync(alive, 4, Diagnostics);

            for (var kill = 1; kill <= 2; kill++)
            {
                var leaderProcess = alive.Single(s => HaProbes.HostPort(s) == leader);
                await leaderProcess.KillAsync(UnixSignal.Kill);
                var killedAt = DateTimeOffset.UtcNow;
                alive.Remove(leaderProcess);
                leader = await HaProbes.AgreedLeaderAsync(http, alive, Diagnostics);
                using var client = new DroverClient(alive[0].BaseAddress!);
                // more than a whole grace after the kill, both agents were heard by the new leader and stayed active
                await Eventually.AsyncAssert(async () =>
                {
                    var list = (await client.GetAgentsAsync()).Agents;
                    if (list.FirstOrDefault(a => a.Agent.Status != AgentStatus.Active) is { } lost)
                        throw new EventuallyAbortedException($"agent {lost.Agent.Hostname} is {lost.Agent.Status} after leader kill {kill}, though it never stopped");
                    return list.All(a => MarathonTime.TryParse(a.Agent.LastSeenAt, out var t) && t > killedAt + grace + TimeSpan.FromSeconds(2));
                }, TimeSpan.FromSeconds(90), $"both agents heard, and active, a whole grace after leader kill {kill}", Diagnostics);
                output.WriteLine($"kill {kill}: new leader {leader}; both agents active a whole grace later");
            }

            var after = await RunningAsync(alive, 4, Diagnostics);
            Assert.Equal(before.Order(), after.Order()); // no task restarted or replaced
            foreach (var agentDir in new[] { "a", "b" })
                output.WriteLine($"{agentDir}: {Directory.GetDirectories(Path.Combine(dir.Combine(agentDir), "sandboxes")).Length} sandboxes");
            // no instance launched twice: 4 sandboxes over both agents, for the whole test
            Assert.Equal(4, new[] { "a", "b" }.Sum(d => Directory.GetDirectories(Path.Combine(dir.Combine(d), "sandboxes")).Length));
        }
        catch
        {
            output.WriteLine(Diagnostics());
            throw;
        }
        finally
        {
            foreach (var a in agents) await a.DisposeAsync();
            foreach (var s in servers) await s.DisposeAsync();
            LocalCluster.KillStrayTasks(dir.Combine("a"));
            LocalCluster.KillStrayTasks(dir.Combine("b"));
        }
    }

    private static async Task<string> AgentIdAsync(DroverClient client, string hostname, Func<string> diagnostics) =>
        await Eventually.GetAsync(async () => (await client.GetAgentsAsync()).Agents.FirstOrDefault(a => a.Agent.Hostname == hostname)?.Agent.Id,
            TimeSpan.FromSeconds(60), $"agent {hostname} registered", diagnostics);

    private static async Task<AgentStatus?> StatusAsync(DroverClient client, string agentId)
    {
        try
        {
            return (await client.GetAgentsAsync()).Agents.Single(a => a.Agent.Id == agentId).Agent.Status;
        }
        catch (Exception e) when (e is HttpRequestException or DroverApiException or TaskCanceledException)
        {
            return null; // a server between leaders may answer 503: ask again
        }
    }

    private static async Task<DateTimeOffset?> ListedLastSeenAsync(DroverClient client, string agentId) =>
        MarathonTime.TryParse((await client.GetAgentsAsync()).Agents.Single(a => a.Agent.Id == agentId).Agent.LastSeenAt, out var t) ? t : null;

    /// <summary>Ids of the app's running tasks once <paramref name="count"/> run on <paramref name="host"/> and none elsewhere.</summary>
    private static async Task<IReadOnlyList<string>> TasksOnAsync(DroverClient client, string host, int count, Func<string> diagnostics) =>
        await Eventually.GetAsync<IReadOnlyList<string>>(async () =>
        {
            var app = await client.GetAppAsync("/ha/live");
            var tasks = app.Tasks ?? [];
            return app.TasksRunning == count && tasks.Count == count && tasks.All(t => t.Host == host) ? tasks.Select(t => t.Id).ToList() : null;
        }, TimeSpan.FromSeconds(90), $"{count} tasks of /ha/live running on {host}", diagnostics);

    private static async Task<IReadOnlyList<string>> RunningAsync(IReadOnlyList<DroverProcess> servers, int count, Func<string> diagnostics)
    {
        using var client = new DroverClient(servers[0].BaseAddress!);
        return await Eventually.GetAsync<IReadOnlyList<string>>(async () =>
        {
            var app = await client.GetAppAsync("/ha/live");
            return app.TasksRunning == count && app.Tasks!.Count == count && app.Deployments.Count == 0 ? app.Tasks.Select(t => t.Id).ToList() : null;
        }, TimeSpan.FromSeconds(90), $"/ha/live has {count} running tasks", diagnostics);
    }
}
