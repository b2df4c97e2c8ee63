using System.Diagnostics;
using System.Text.Json;
using Drover.Api.Client;
using Drover.IntegrationTests.Harness;
using Drover.State.Tests.Etcd;
using Xunit.Abstractions;

namespace Drover.IntegrationTests.Ha;

/// <summary>
/// The HA control plane as real processes: 3 etcd members, 3 <c>drover server --etcd</c>, 1 agent joined to all three.
/// SIGKILL of the leader server: the survivors agree on a new leader, writes through a follower work, no task restarts
/// or launches twice, and a surviving server's DNS answers the app's name throughout.
/// </summary>
public sealed class HaFailoverTests(ITestOutputHelper output)
{
    private const string App = """
        {"id":"/ha/web","cmd":"exec python3 -m http.server $PORT0 --bind 127.0.0.1","instances":3,"cpus":0.05,"mem":32}
        """;

    private const string Name = "web-ha.service.drover";

    [Fact(Timeout = 300_000)]
    public async Task Killing_the_leader_elects_another_and_keeps_tasks_writes_and_dns()
    {
        await using var etcd = await EtcdCluster.StartAsync(3);
        using var dir = new TempDir("ha");
        var servers = new List<DroverProcess>();
        DroverProcess? agent = null;
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        string Diagnostics() => string.Join("\n", servers.Select(s => s.FormatOutput(60))) + "\n" + agent?.FormatOutput(60) + "\n" + etcd.Diagnostics();
        try
        {
            await HaProbes.StartServersAsync(etcd, dir, servers); // one by one: the first becomes leader
            var agentDir = dir.Combine("agent");
            agent = HaProbes.StartAgent(servers, agentDir, "ha-host");

            var leader = await HaProbes.AgreedLeaderAsync(http, servers, Diagnostics);
            output.WriteLine($"first leader {leader}");
            var leaderProcess = servers.Single(s => HaProbes.HostPort(s) == leader);
            var followers = servers.Where(s => s != leaderProcess).ToList();

            // the app goes in through a follower (forwarded to the leader)
            using var followerClient = new DroverClient(followers[0].BaseAddress!);
            using (var doc = JsonDocument.Parse(App)) await followerClient.PutAppAsync("/ha/web", doc.RootElement.Clone());
            var before = await RunningTaskIdsAsync(followerClient, 3, Diagnostics);

            // DNS of a server that survives answers the app's name from now until the end of the test
            var dnsServer = followers[1];
            var dnsPort = await dnsServer.DnsPortAsync();
            // that server's copy (and its DNS record set, rebuilt off the query path) may trail the one that answered above
            await Eventually.AsyncAssert(async () => await DigAsync(dnsPort) != "", TimeSpan.FromSeconds(30), "the app's name answered", Diagnostics);
            using var stopDig = new CancellationTokenSource();
            var digLoop = DigUntilStoppedAsync(dnsPort, stopDig.Token);

            var clock = Stopwatch.StartNew();
            await leaderProcess.KillAsync(UnixSignal.Kill);
            var survivors = followers;
            var newLeader = await HaProbes.AgreedLeaderAsync(http, survivors, Diagnostics);
            var failover = clock.Elapsed;
            output.WriteLine($"new leader {newLeader} agreed by both survivors {failover.TotalSeconds:F2} s after SIGKILL of {leader}");
            Assert.NotEqual(leader, newLeader);

            // a write through a surviving follower (or the new leader, whichever the client names) works
            var survivingFollower = survivors.Single(s => HaProbes.HostPort(s) != newLeader);
            using var survivorClient = new DroverClient(survivingFollower.BaseAddress!);
            await Eventually.AsyncAssert(async () =>
            {
                try
                {
                    await survivorClient.ScaleAppAsync("/ha/web", 4);
                    return true;
                }
                catch (DroverApiException e) when ((int)e.Status is 503 or 409)
                {
                    output.WriteLine($"scale not yet: {e.Message}");
                    return false; // the new leader is still catching up / the old deployment is being taken over
                }
            }, TimeSpan.FromSeconds(60), "scale to 4 through a surviving follower", Diagnostics);
            var after = await RunningTaskIdsAsync(survivorClient, 4, Diagnostics);

            Assert.Subset(after.ToHashSet(), before.ToHashSet()); // no task restarted
            Assert.Equal(4, after.Count);
            // the agent launched exactly 4 tasks over the whole test: no instance launched twice
            Assert.Equal(4, Directory.GetDirectories(Path.Combine(agentDir, "sandboxes")).Length);
            var tasks = await survivorClient.ListTasksAsync();
            Assert.Equal(4, tasks.Count);

            stopDig.Cancel();
            var (queries, failures) = await digLoop;
            output.WriteLine($"DNS on {HaProbes.HostPort(dnsServer)}: {queries} queries through the failover, {failures.Count} without an answer");
            Assert.True(queries > 0);
            Assert.True(failures.Count == 0, string.Join("\n", failures));

            // clean up the tasks through the survivors
            await survivorClient.DeleteAppAsync("/ha/web");
            await Eventually.AsyncAssert(async () => (await survivorClient.ListTasksAsync()).Count == 0, TimeSpan.FromSeconds(60), "tasks gone", Diagnostics);
        }
        catch
        {
            output.WriteLine(Diagnostics());
            throw;
        }
        finally
        {
            if (agent is not null) await agent.DisposeAsync();
            foreach (var s in servers) await s.DisposeAsync();
            LocalCluster.KillStrayTasks(dir.Combine("agent"));
        }
    }

    private static async Task<IReadOnlyList<string>> RunningTaskIdsAsync(DroverClient client, int count, Func<string> diagnostics) =>
        await Eventually.GetAsync<IReadOnlyList<string>>(async () =>
        {
            var app = await client.GetAppAsync("/ha/web");
            return app.TasksRunning == count && app.Tasks!.Count == count && app.Deployments.Count == 0
                ? app.Tasks.Select(t => t.Id).ToList()
                : null;
        }, TimeSpan.FromSeconds(90), $"/ha/web has {count} running tasks", diagnostics);

    private static Task<string> DigAsync(int port) => HaProbes.DigAsync(port, Name, "A");

    private static Task<(int Queries, List<string> Failures)> DigUntilStoppedAsync(int port, CancellationToken stop) =>
        HaProbes.DigUntilStoppedAsync(port, Name, "A", stop);
}
