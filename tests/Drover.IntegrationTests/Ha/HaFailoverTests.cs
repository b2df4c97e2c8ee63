using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Drover.Api.Client;
using Drover.IntegrationTests.Harness;
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

    [Fact(Timeout = 300_000)]
    public async Task Killing_the_leader_elects_another_and_keeps_tasks_writes_and_dns()
    {
        await using var etcd = await EtcdMembers.StartAsync(3);
        using var dir = new TempDir("ha");
        var servers = new List<DroverProcess>();
        DroverProcess? agent = null;
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        string Diagnostics() => string.Join("\n", servers.Select(s => s.FormatOutput(60))) + "\n" + agent?.FormatOutput(60) + "\n" + etcd.Diagnostics();
        try
        {
            // started one by one: the first becomes leader, the others followers
            for (var i = 0; i < 3; i++)
            {
                var port = FreePort.Get();
                servers.Add(await DroverProcess.StartServerAsync(dir.Combine($"server-{i}"), port, TimeSpan.FromSeconds(90),
                    "--etcd", etcd.Endpoints, "--advertise", $"http://127.0.0.1:{port}"));
            }
            var joins = string.Join(",", servers.Select(s => s.BaseAddress!.ToString().TrimEnd('/')));
            var agentDir = dir.Combine("agent");
            agent = DroverProcess.Start(["agent", "--join", joins, "--data-dir", agentDir, "--hostname", "ha-host",
                "--listen", "127.0.0.1:0", "--ports", LocalCluster.NextPortRange(), "--token", DroverProcess.TestJoinToken,
                "--docker-socket", "none"], new ProcessOptions { Name = "agent:ha-host" });

            var leader = await AgreedLeaderAsync(http, servers, Diagnostics);
            output.WriteLine($"first leader {leader}");
            var leaderProcess = servers.Single(s => HostPort(s) == leader);
            var followers = servers.Where(s => s != leaderProcess).ToList();

            // the app goes in through a follower (forwarded to the leader)
            using var followerClient = new DroverClient(followers[0].BaseAddress!);
            using (var doc = JsonDocument.Parse(App)) await followerClient.PutAppAsync("/ha/web", doc.RootElement.Clone());
            var before = await RunningTaskIdsAsync(followerClient, 3, Diagnostics);

            // DNS of a server that survives answers the app's name from now until the end of the test
            var dnsServer = followers[1];
            var dnsPort = await DnsPortAsync(dnsServer);
            Assert.NotEmpty(await DigAsync(dnsPort));
            using var stopDig = new CancellationTokenSource();
            var digLoop = DigUntilStoppedAsync(dnsPort, stopDig.Token);

            var clock = Stopwatch.StartNew();
            await leaderProcess.KillAsync(UnixSignal.Kill);
            var survivors = followers;
            var newLeader = await AgreedLeaderAsync(http, survivors, Diagnostics);
            var failover = clock.Elapsed;
            output.WriteLine($"new leader {newLeader} agreed by both survivors {failover.TotalSeconds:F2} s after SIGKILL of {leader}");
            Assert.NotEqual(leader, newLeader);

            // a write through a surviving follower (or the new leader, whichever the client names) works
            var survivingFollower = survivors.Single(s => HostPort(s) != newLeader);
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
            output.WriteLine($"DNS on {HostPort(dnsServer)}: {queries} queries through the failover, {failures.Count} without an answer");
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

    private static string HostPort(DroverProcess server) => $"{server.BaseAddress!.Host}:{server.BaseAddress.Port}";

    private static async Task<string> AgreedLeaderAsync(HttpClient http, IReadOnlyList<DroverProcess> servers, Func<string> diagnostics) =>
        await Eventually.GetAsync(async () =>
        {
            var seen = new HashSet<string?>();
            foreach (var s in servers)
            {
                try
                {
                    var r = await http.GetAsync(new Uri(s.BaseAddress!, "/v2/leader"));
                    seen.Add(r.IsSuccessStatusCode ? (await r.Content.ReadFromJsonAsync<JsonObject>())!["leader"]!.GetValue<string>() : null);
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                {
                    seen.Add(null);
                }
            }
            return seen.Count == 1 && seen.Single() is { } l && servers.Any(s => HostPort(s) == l) ? l : null;
        }, TimeSpan.FromSeconds(60), "all servers agree on a live leader", diagnostics);

    private static async Task<IReadOnlyList<string>> RunningTaskIdsAsync(DroverClient client, int count, Func<string> diagnostics) =>
        await Eventually.GetAsync<IReadOnlyList<string>>(async () =>
        {
            var app = await client.GetAppAsync("/ha/web");
            return app.TasksRunning == count && app.Tasks!.Count == count && app.Deployments.Count == 0
                ? app.Tasks.Select(t => t.Id).ToList()
                : null;
        }, TimeSpan.FromSeconds(90), $"/ha/web has {count} running tasks", diagnostics);

    private static async Task<int> DnsPortAsync(DroverProcess server)
    {
        const string marker = ", DNS 127.0.0.1:";
        var line = await server.WaitForLineAsync(l => l.Contains(marker), TimeSpan.FromSeconds(30));
        var at = line.IndexOf(marker, StringComparison.Ordinal) + marker.Length;
        var end = at;
        while (end < line.Length && char.IsAsciiDigit(line[end])) end++;
        return int.Parse(line[at..end]);
    }

    /// <summary>The A records of the app's name (empty when none or no answer).</summary>
    private static async Task<string> DigAsync(int port)
    {
        var r = await ProcessRunner.RunAsync("dig", ["@127.0.0.1", "-p", port.ToString(), "+tries=2", "+time=2", "+short", "web-ha.service.drover", "A"],
            TimeSpan.FromSeconds(20));
        return r.ExitCode == 0 ? r.Stdout.Trim() : "";
    }

    private static async Task<(int Queries, List<string> Failures)> DigUntilStoppedAsync(int port, CancellationToken stop)
    {
        var failures = new List<string>();
        var queries = 0;
        while (!stop.IsCancellationRequested)
        {
            queries++;
            if (await DigAsync(port) == "") failures.Add($"{DateTime.UtcNow:HH:mm:ss.fff} no A record for web-ha.service.drover");
            try
            {
                await Task.Delay(200, stop);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
        return (queries, failures);
    }
}
