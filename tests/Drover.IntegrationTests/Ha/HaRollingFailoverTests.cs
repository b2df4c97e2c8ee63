using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Drover.Api.Client;
using Drover.Api.Marathon;
using Drover.IntegrationTests.Harness;
using Drover.State.Tests.Etcd;
using Xunit.Abstractions;

namespace Drover.IntegrationTests.Ha;

/// <summary>
/// Issue 10's harder failover check, all real processes: 3 etcd members, 3 servers, 2 agents, a rolling upgrade of 4
/// health-checked HTTP tasks, and SIGKILL of the leader server in the middle of it. A new leader is elected and acts,
/// the deployment completes on it, no instance is launched twice or beyond what the upgrade strategy allows, no task
/// of the final set restarts, and a surviving server's DNS answers the app's SRV name throughout.
/// </summary>
public sealed class HaRollingFailoverTests(ITestOutputHelper output)
{
    private const string AppId = "/ha/roll";
    private const string SrvName = "_roll-ha._tcp.service.drover";
    private const int Instances = 4;

    // minimumHealthCapacity 0.75 with maximumOverCapacity 0: one old task at a time is replaced (4 steps), and never
    // more than 4 tasks exist at once (Reconciler.PlanUpgrade counts kill-requested ones until they are gone).
    // `starts` gets a line per process start in the sandbox, so a task restarted in place would show; the sleep makes
    // each step take a few seconds, so the kill lands mid-upgrade.
    private const string App = """
        {"id":"/ha/roll","cmd":"echo $$ >> starts; echo $VERSION > version; sleep 2; touch ok; exec python3 -m http.server $PORT0 --bind 127.0.0.1",
         "instances":4,"cpus":0.05,"mem":32,"env":{"VERSION":"v1"},
         "upgradeStrategy":{"minimumHealthCapacity":0.75,"maximumOverCapacity":0},
         "healthChecks":[{"protocol":"HTTP","path":"/ok","gracePeriodSeconds":20,"intervalSeconds":1,"timeoutSeconds":1,"maxConsecutiveFailures":3}]}
        """;

    private const int MaxAtOnce = 4; // floor(4 × (1 + 0))

    [Fact(Timeout = 360_000)]
    public async Task Killing_the_leader_mid_rolling_upgrade_completes_it_without_duplicates_or_restarts()
    {
        await using var etcd = await EtcdCluster.StartAsync(3);
        using var dir = new TempDir("ha-roll");
        var servers = new List<DroverProcess>();
        var agents = new List<DroverProcess>();
        var agentDirs = new[] { dir.Combine("agent-0"), dir.Combine("agent-1") };
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        string Diagnostics() => string.Join("\n", servers.Select(s => s.FormatOutput(80))) + "\n" + string.Join("\n", agents.Select(a => a.FormatOutput(40)))
            + "\n" + etcd.Diagnostics();
        using var stop = new CancellationTokenSource();
        try
        {
            await HaProbes.StartServersAsync(etcd, dir, servers);
            for (var i = 0; i < 2; i++) agents.Add(HaProbes.StartAgent(servers, agentDirs[i], $"ha-roll-{i}"));

            var leader = await HaProbes.AgreedLeaderAsync(http, servers, Diagnostics);
            var leaderProcess = servers.Single(s => HaProbes.HostPort(s) == leader);
            var followers = servers.Where(s => s != leaderProcess).ToList();
            output.WriteLine($"first leader {leader}");
            // the survivor every probe goes through: the test never needs to know which survivor leads next
            var watched = followers[1];
            using var client = new DroverClient(watched.BaseAddress!);
            await Eventually.AsyncAssert(async () => (await client.GetAgentsAsync()).Agents.Count == 2, TimeSpan.FromSeconds(60), "both agents registered", Diagnostics);

            using (var doc = JsonDocument.Parse(App)) await client.PutAppAsync(AppId, doc.RootElement.Clone());
            await WaitConvergedAsync(client, null, Diagnostics);

            var dnsPort = await watched.DnsPortAsync();
            // that server's copy (and its DNS record set, rebuilt off the query path) may trail the one that answered above
            await Eventually.AsyncAssert(async () => await HaProbes.DigAsync(dnsPort, SrvName, "SRV") != "", TimeSpan.FromSeconds(30),
                "the app's SRV name answered", Diagnostics);
            var digLoop = HaProbes.DigUntilStoppedAsync(dnsPort, SrvName, "SRV", stop.Token);
            var watch = new TaskWatch();
            var watchLoop = watch.RunAsync(client, stop.Token);

            // the upgrade: a new env var value is a new version, replaced one task at a time
            DeploymentResult upgrade;
            using (var doc = JsonDocument.Parse(App.Replace("\"v1\"", "\"v2\""))) upgrade = await client.PutAppAsync(AppId, doc.RootElement.Clone());
            var v2 = upgrade.Version;
            output.WriteLine($"upgrade {upgrade.DeploymentId} to version {v2}");

            // mid-upgrade, at its most delicate: one new task is healthy, another was just launched and is not yet
            // healthy (its sleep), so the new leader must neither launch that instance again nor lose the step
            await Eventually.AsyncAssert(async () =>
            {
                var tasks = await client.ListTasksAsync(AppId);
                var fresh = tasks.Where(t => t.Version == v2).ToList();
                return fresh.Count is >= 2 and < Instances && fresh.Any(Healthy) && fresh.Any(t => !Healthy(t));
            }, TimeSpan.FromSeconds(60), "the upgrade has a healthy new task and a launched, not yet healthy one", Diagnostics);
            var atKill = await client.ListTasksAsync(AppId);
            output.WriteLine($"killing leader {leader} with {atKill.Count(t => t.Version == v2)} of {Instances} new tasks: "
                + string.Join(", ", atKill.Select(t => $"{t.Id[^8..]} {(t.Version == v2 ? "new" : "old")} {t.State}{(Healthy(t) ? " healthy" : "")}")));

            var clock = Stopwatch.StartNew();
            await leaderProcess.KillAsync(UnixSignal.Kill);
            var survivors = followers;
            var newLeader = await HaProbes.AgreedLeaderAsync(http, survivors, Diagnostics);
            var elected = clock.Elapsed;
            Assert.NotEqual(leader, newLeader);
            // acting: a write through the survivor that may not lead is accepted (forwarded to and made by the new leader)
            await Eventually.AsyncAssert(async () => await client.KvPutAsync("ha-roll/after-kill", Encoding.UTF8.GetBytes("x")),
                TimeSpan.FromSeconds(60), "a write through a survivor is accepted", Diagnostics);
            var wrote = clock.Elapsed;
            output.WriteLine($"new leader {newLeader}: agreed by both survivors {elected.TotalSeconds:F2} s after SIGKILL, "
                + $"first write accepted after {wrote.TotalSeconds:F2} s (goal 5 s)");
            Assert.True(wrote < TimeSpan.FromSeconds(20), $"the new leader took {wrote.TotalSeconds:F1} s to accept a write");

            var final = await WaitConvergedAsync(client, v2, Diagnostics);
            output.WriteLine($"upgrade complete {clock.Elapsed.TotalSeconds:F1} s after the kill");
            Assert.Empty(await client.ListDeploymentsAsync());

            await stop.CancelAsync();
            var (queries, failures) = await digLoop;
            var observations = await watchLoop;
            output.WriteLine($"DNS SRV on {HaProbes.HostPort(watched)}: {queries} queries, {failures.Count} without an answer");
            output.WriteLine($"tasks watched {observations} times: {watch.Seen.Count} distinct ids, at most {watch.MaxAtOnce} at once (strategy allows {MaxAtOnce})");

            // every new-version task ever seen is in the final set: none replaced, none launched twice
            Assert.Equal(Instances, final.Count);
            Assert.All(final, t => Assert.Equal(v2, t.Version));
            Assert.Equal(final.Select(t => t.Id).Order(), watch.Seen.Values.Where(t => t.Version == v2).Select(t => t.Id).Order());
            Assert.True(watch.MaxAtOnce <= MaxAtOnce, $"{watch.MaxAtOnce} tasks at once, the strategy allows {MaxAtOnce}");
            // on the agents: 4 old + 4 new sandboxes, nothing else was ever launched
            var sandboxes = agentDirs.SelectMany(d => Directory.GetDirectories(Path.Combine(d, "sandboxes"))).ToList();
            Assert.Equal(2 * Instances, sandboxes.Count);
            foreach (var t in final)
            {
                var sandbox = sandboxes.Single(s => Path.GetFileName(s) == t.Id);
                Assert.Equal("v2", File.ReadAllText(Path.Combine(sandbox, "version")).Trim());
                Assert.Single(File.ReadAllLines(Path.Combine(sandbox, "starts"))); // started once, never restarted in place
                Assert.Equal(watch.Seen[t.Id].StartedAt ?? t.StartedAt, t.StartedAt);
            }
            Assert.True(queries > 0);
            Assert.True(failures.Count == 0, string.Join("\n", failures));

            await client.DeleteAppAsync(AppId);
            await Eventually.AsyncAssert(async () => (await client.ListTasksAsync()).Count == 0, TimeSpan.FromSeconds(60), "tasks gone", Diagnostics);
        }
        catch
        {
            output.WriteLine(Diagnostics());
            throw;
        }
        finally
        {
            await stop.CancelAsync();
            foreach (var a in agents) await a.DisposeAsync();
            foreach (var s in servers) await s.DisposeAsync();
            foreach (var d in agentDirs) LocalCluster.KillStrayTasks(d);
        }
    }

    private static bool Healthy(MarathonTask t) => t.HealthCheckResults is [{ Alive: true }, ..];

    /// <summary>The app's tasks once there is no deployment and all 4 run healthy, on <paramref name="version"/> when given.</summary>
    private static async Task<IReadOnlyList<MarathonTask>> WaitConvergedAsync(DroverClient client, string? version, Func<string> diagnostics) =>
        await Eventually.GetAsync<IReadOnlyList<MarathonTask>>(async () =>
        {
            try
            {
                var app = await client.GetAppAsync(AppId);
                var tasks = app.Tasks ?? [];
                var done = app.Deployments.Count == 0 && app.TasksHealthy == Instances && tasks.Count == Instances
                    && tasks.All(t => t.State == "TASK_RUNNING" && (version is null || t.Version == version));
                return done ? tasks : null;
            }
            catch (Exception e) when (e is DroverApiException or HttpRequestException or TaskCanceledException)
            {
                return null; // a survivor answering 503 while the election settles
            }
        }, TimeSpan.FromSeconds(150), $"{AppId} has {Instances} healthy tasks{(version is null ? "" : " on " + version)} and no deployment", diagnostics);

    /// <summary>Polls the app's tasks through one server: every task id ever seen, and the most that existed at once.</summary>
    private sealed class TaskWatch
    {
        public ConcurrentDictionary<string, MarathonTask> Seen { get; } = new();

        public int MaxAtOnce { get; private set; }

        public async Task<int> RunAsync(DroverClient client, CancellationToken stop)
        {
            var polls = 0;
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    var tasks = await client.ListTasksAsync(AppId, stop);
                    polls++;
                    MaxAtOnce = Math.Max(MaxAtOnce, tasks.Count);
                    foreach (var t in tasks)
                        Seen.AddOrUpdate(t.Id, t, (_, old) => old.StartedAt is null ? t : old); // keep the first start seen
                    await Task.Delay(100, stop);
                }
                catch (OperationCanceledException) when (stop.IsCancellationRequested)
                {
                    break;
                }
                catch (Exception e) when (e is DroverApiException or HttpRequestException or TaskCanceledException)
                {
                    // the survivor is briefly without a leader: reads may still answer, the next poll tries again
                }
            }
            return polls;
        }
    }
}
