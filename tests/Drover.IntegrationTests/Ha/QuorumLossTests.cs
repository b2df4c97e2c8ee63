using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Drover.Api.Client;
using Drover.IntegrationTests.Harness;
using Drover.State.Tests.Etcd;
using Xunit.Abstractions;

namespace Drover.IntegrationTests.Ha;

/// <summary>
/// Losing the etcd quorum under 3 real servers and an agent: one member gone changes nothing; two gone and every write
/// is refused with a 503 naming the lost quorum, while reads, DNS and the running tasks carry on (reads flagged
/// stale); the members back and writes resume, with no task restarted.
/// </summary>
public sealed class QuorumLossTests(ITestOutputHelper output)
{
    private const string App = """
        {"id":"/quorum/web","cmd":"exec python3 -m http.server $PORT0 --bind 127.0.0.1","instances":2,"cpus":0.05,"mem":32,
         "healthChecks":[{"protocol":"HTTP","path":"/","gracePeriodSeconds":10,"intervalSeconds":1,"timeoutSeconds":2,"maxConsecutiveFailures":3}]}
        """;

    [Fact(Timeout = 300_000)]
    public async Task Two_etcd_members_lost_refuse_writes_keep_reads_dns_and_tasks_and_healing_resumes_writes()
    {
        await using var etcd = await EtcdCluster.StartAsync(3);
        using var dir = new TempDir("quorum");
        var servers = new List<DroverProcess>();
        DroverProcess? agent = null;
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        string Diagnostics() => string.Join("\n", servers.Select(s => s.FormatOutput(40))) + "\n" + agent?.FormatOutput(40) + "\n" + etcd.Diagnostics();
        try
        {
            await HaProbes.StartServersAsync(etcd, dir, servers);
            var agentDir = dir.Combine("agent");
            agent = HaProbes.StartAgent(servers, agentDir, "quorum-host");

            var server = servers[1];
            using var client = new DroverClient(server.BaseAddress!);
            await Eventually.AsyncAssert(async () =>
            {
                try
                {
                    using var doc = JsonDocument.Parse(App);
                    await client.PutAppAsync("/quorum/web", doc.RootElement.Clone());
                    return true;
                }
                catch (DroverApiException e) when ((int)e.Status == 503)
                {
                    return false; // no leader elected yet
                }
            }, TimeSpan.FromSeconds(60), "the app is accepted once a leader is elected", Diagnostics);
            var tasks = await Eventually.GetAsync<IReadOnlyList<Api.Marathon.MarathonTask>>(async () =>
            {
                var app = await client.GetAppAsync("/quorum/web");
                return app.TasksHealthy == 2 && app.Deployments.Count == 0 ? app.Tasks! : null;
            }, TimeSpan.FromSeconds(90), "2 healthy tasks", Diagnostics);
            var taskIds = tasks.Select(t => t.Id).Order().ToList();
            var taskPorts = tasks.Select(t => t.Ports[0]).ToList();
            var dns = await server.DnsPortAsync();

            // one member gone: nothing changes, writes go on through every server
            etcd.Kill(2);
            foreach (var s in servers)
                await Eventually.AsyncAssert(async () => (await PutKvAsync(http, s, "one-down")).StatusCode == HttpStatusCode.OK,
                    TimeSpan.FromSeconds(30), $"a write through {s.BaseAddress} with one etcd member down", Diagnostics);
            var fresh = await http.GetAsync(new Uri(server.BaseAddress!, "/v2/apps"));
            Assert.False(fresh.Headers.Contains("X-Drover-Stale"));

            // two gone: writes refused with the cause, fast
            var clock = Stopwatch.StartNew();
            etcd.Kill(1);
            var refusal = await Eventually.GetAsync(async () =>
            {
                using var r = await PutKvAsync(http, server, "two-down");
                var body = await r.Content.ReadAsStringAsync();
                // refused before writing: marked so clients can count it as failed, not as unknown
                return r.StatusCode == HttpStatusCode.ServiceUnavailable && body.Contains("quorum", StringComparison.Ordinal)
                    && r.Headers.TryGetValues(NotApplied.Header, out var marked) && marked.Single() == "true" ? body : null;
            }, TimeSpan.FromSeconds(60), "writes refused with a 503 naming the lost quorum", Diagnostics);
            output.WriteLine($"writes refused {clock.Elapsed.TotalSeconds:F1} s after the second member died: {refusal}");
            foreach (var s in servers)
            {
                var started = Stopwatch.StartNew();
                using var scale = await http.PutAsJsonAsync(new Uri(s.BaseAddress!, "/v2/apps/quorum/web"), new { instances = 3 });
                Assert.Equal(HttpStatusCode.ServiceUnavailable, scale.StatusCode);
                Assert.Contains("lost its quorum", await scale.Content.ReadAsStringAsync());
                Assert.Equal("true", scale.Headers.GetValues(NotApplied.Header).Single());
                output.WriteLine($"{s.BaseAddress}: scale refused in {started.ElapsedMilliseconds} ms");
            }

            // reads answer the last state, flagged stale; no leader is named; DNS and the tasks carry on
            using (var read = await http.GetAsync(new Uri(server.BaseAddress!, "/v2/apps/quorum/web")))
            {
                Assert.Equal(HttpStatusCode.OK, read.StatusCode);
                Assert.Equal("true", read.Headers.GetValues("X-Drover-Stale").Single());
                var app = (await read.Content.ReadFromJsonAsync<JsonObject>())!["app"]!;
                Assert.Equal(2, app["tasksRunning"]!.GetValue<int>());
            }
            using (var consul = await http.GetAsync(new Uri(server.BaseAddress!, "/v1/catalog/service/web-quorum")))
            {
                Assert.Equal(HttpStatusCode.OK, consul.StatusCode);
                Assert.Equal("false", consul.Headers.GetValues("X-Consul-KnownLeader").Single());
                Assert.True(long.Parse(consul.Headers.GetValues("X-Consul-LastContact").Single()) > 0);
                Assert.Equal(2, (await consul.Content.ReadFromJsonAsync<JsonArray>())!.Count);
            }
            using (var leader = await http.GetAsync(new Uri(server.BaseAddress!, "/v2/leader")))
                Assert.Equal(HttpStatusCode.NotFound, leader.StatusCode);
            Assert.Equal(taskPorts.Order(), await SrvPortsAsync(dns));
            foreach (var port in taskPorts)
                Assert.Equal(HttpStatusCode.OK, (await http.GetAsync($"http://127.0.0.1:{port}/")).StatusCode);

            // heal: writes resume, the tasks are the same ones
            clock.Restart();
            etcd.Restart(1);
            etcd.Restart(2);
            await Eventually.AsyncAssert(async () => (await PutKvAsync(http, server, "healed")).StatusCode == HttpStatusCode.OK,
                TimeSpan.FromSeconds(90), "writes accepted again once the quorum is back", Diagnostics);
            output.WriteLine($"writes accepted {clock.Elapsed.TotalSeconds:F1} s after the members were restarted");
            using (var read = await http.GetAsync(new Uri(server.BaseAddress!, "/v2/apps/quorum/web")))
                Assert.False(read.Headers.Contains("X-Drover-Stale"));
            var after = await client.GetAppAsync("/quorum/web");
            Assert.Equal(taskIds, after.Tasks!.Select(t => t.Id).Order().ToList()); // nothing restarted or replaced
            Assert.Equal(2, Directory.GetDirectories(Path.Combine(agentDir, "sandboxes")).Length); // nothing launched again

            await client.DeleteAppAsync("/quorum/web");
            await Eventually.AsyncAssert(async () => (await client.ListTasksAsync()).Count == 0, TimeSpan.FromSeconds(60), "tasks gone", Diagnostics);
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

    private static async Task<HttpResponseMessage> PutKvAsync(HttpClient http, DroverProcess server, string key)
    {
        try
        {
            return await http.PutAsync(new Uri(server.BaseAddress!, $"/v1/kv/quorum/{key}"), new StringContent("v"));
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return new HttpResponseMessage(HttpStatusCode.GatewayTimeout) { Content = new StringContent(e.Message) };
        }
    }

    private static async Task<List<int>> SrvPortsAsync(int dns) =>
        (await HaProbes.DigAsync(dns, "_web-quorum._tcp.service.drover", "SRV"))
            .Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => int.Parse(l.Split(' ')[2])).Order().ToList();
}
