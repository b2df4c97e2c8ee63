using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Drover.IntegrationTests.Harness;
using Xunit.Abstractions;

namespace Drover.IntegrationTests;

/// <summary>Discovery as users see it: dig against Drover's DNS, Mesos-DNS HTTP, failover names, the fibonacci service of seed 001.</summary>
public sealed class DiscoveryTests(ITestOutputHelper output)
{
    private static async Task<string> Dig(int port, params string[] query)
    {
        var r = await ProcessRunner.RunAsync("dig", ["@127.0.0.1", "-p", port.ToString(), "+tries=1", "+time=2", .. query], TimeSpan.FromSeconds(20));
        Assert.True(r.ExitCode == 0, r.ToString());
        return r.Stdout;
    }

    private static List<int> SrvPorts(string digShort) =>
        digShort.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' ')).Where(p => p.Length == 4).Select(p => int.Parse(p[2])).Order().ToList();

    [Fact(Timeout = 180_000)]
    public async Task Dig_sees_app_tasks_and_follows_scaling_and_crashes()
    {
        await using var c = await LocalCluster.StartAsync(agents: 1);
        try
        {
            var dns = await c.DnsPortAsync();
            await c.ApplyAsync(ClusterTests.WebApp.Replace("\"/it/web\"", "\"/it/dns\"").Replace(",\"constraints\":[[\"hostname\",\"UNIQUE\"]]", ""));
            var app = await c.WaitForRunningAsync("/it/dns", 2);
            var ports = app.Tasks!.Select(t => t.Ports[0]).Order().ToList();

            // service name flips the path: /it/dns → dns-it
            Assert.Equal("127.0.0.1", (await Dig(dns, "dns-it.service.drover", "A", "+short")).Trim());
            Assert.Equal(ports, SrvPorts(await Dig(dns, "_dns-it._tcp.service.drover", "SRV", "+short")));
            Assert.Equal(ports, SrvPorts(await Dig(dns, "_dns-it._tcp.marathon.drover", "SRV", "+short")));
            Assert.Equal(ports, SrvPorts(await Dig(dns, "_dns-it._tcp.service.drover", "SRV", "+short", "+tcp")));
            var srvFull = await Dig(dns, "_dns-it._tcp.service.drover", "SRV");
            Assert.Contains("ADDITIONAL SECTION", srvFull);
            var nx = await Dig(dns, "nope.service.drover", "A");
            Assert.Contains("status: NXDOMAIN", nx);
            Assert.Contains("SOA", nx);
            var nodata = await Dig(dns, "dns-it.service.drover", "AAAA");
            Assert.Contains("status: NOERROR", nodata);
            Assert.Contains("ANSWER: 0", nodata);

            // Mesos-DNS HTTP: port as a string; one empty record when nothing matches
            using var http = new HttpClient { BaseAddress = c.BaseAddress };
            var services = await http.GetFromJsonAsync<JsonElement>("/v1/services/_dns-it._tcp.marathon.drover.");
            Assert.Equal(ports.Select(p => p.ToString()).Order(), services.EnumerateArray().Select(s => s.GetProperty("port").GetString()!).Order());
            var none = await http.GetFromJsonAsync<JsonElement>("/v1/services/_nope._tcp.marathon.drover.");
            Assert.Equal("", none[0].GetProperty("port").GetString());

            // scale: the SRV answer follows
            await c.Client.ScaleAppAsync("/it/dns", 3);
            await Eventually.AsyncAssert(async () => SrvPorts(await Dig(dns, "_dns-it._tcp.service.drover", "SRV", "+short")).Count == 3,
                TimeSpan.FromSeconds(60), "3 SRV records after scaling", c.Diagnostics);

            // a crashed task leaves the answer, its replacement joins it once healthy
            app = await c.WaitForRunningAsync("/it/dns", 3);
            var victim = app.Tasks![0];
            ClusterTests.KillProcess(int.Parse(File.ReadAllText(Path.Combine(c.Sandbox(victim.Id), "pid")).Trim()));
            await Eventually.AsyncAssert(async () => !SrvPorts(await Dig(dns, "_dns-it._tcp.service.drover", "SRV", "+short")).Contains(victim.Ports[0])
                    || (await c.Client.GetAppAsync("/it/dns")).Tasks!.All(t => t.Id != victim.Id),
                TimeSpan.FromSeconds(30), "crashed task gone from DNS", c.Diagnostics);
            app = await c.WaitForRunningAsync("/it/dns", 3);
            await Eventually.AsyncAssert(async () =>
                    SrvPorts(await Dig(dns, "_dns-it._tcp.service.drover", "SRV", "+short")).SequenceEqual(app.Tasks!.Select(t => t.Ports[0]).Order()),
                TimeSpan.FromSeconds(30), "replacement in DNS", c.Diagnostics);
        }
        catch
        {
            output.WriteLine(c.Diagnostics());
            throw;
        }
    }

    [Fact(Timeout = 180_000)]
    public async Task Failover_name_moves_to_the_slave_and_back()
    {
        await using var c = await LocalCluster.StartAsync(agents: 1);
        using var http = new HttpClient { BaseAddress = c.BaseAddress };
        try
        {
            var dns = await c.DnsPortAsync();
            async Task Register(string id, string address, string tag)
            {
                var body = $$$"""{"Name":"mysql","ID":"{{{id}}}","Address":"{{{address}}}","Port":3306,"Tags":["{{{tag}}}"],"Meta":{"DROVER_FAILOVER":"master,slave"},"Check":{"TTL":"60s","Status":"passing"} }""";
                var r = await http.PutAsync("/v1/agent/service/register", new StringContent(body, Encoding.UTF8, "application/json"));
                Assert.True(r.IsSuccessStatusCode, await r.Content.ReadAsStringAsync());
            }
            await Register("mysql-1", "127.0.0.2", "master");
            await Register("mysql-2", "127.0.0.3", "slave");
            await Eventually.AsyncAssert(async () => (await Dig(dns, "mysql-vip.service.drover", "A", "+short")).Trim() == "127.0.0.2",
                TimeSpan.FromSeconds(20), "vip answers the master", c.Diagnostics);
            Assert.Equal(["127.0.0.2", "127.0.0.3"], (await Dig(dns, "mysql.service.drover", "A", "+short")).Split('\n', StringSplitOptions.RemoveEmptyEntries).Order());

            var checkId = "service:mysql-1";
            Assert.True((await http.PutAsync($"/v1/agent/check/fail/{checkId}?note=down", null)).IsSuccessStatusCode);
            var failedAt = DateTime.UtcNow;
            await Eventually.AsyncAssert(async () => (await Dig(dns, "mysql-vip.service.drover", "A", "+short")).Trim() == "127.0.0.3",
                TimeSpan.FromSeconds(20), "vip moves to the slave", c.Diagnostics);
            output.WriteLine($"vip moved after {(DateTime.UtcNow - failedAt).TotalMilliseconds:0} ms (bench/failover measures this)");
            Assert.Equal("127.0.0.3", (await Dig(dns, "mysql.service.drover", "A", "+short")).Trim()); // critical master not answered

            Assert.True((await http.PutAsync($"/v1/agent/check/pass/{checkId}", null)).IsSuccessStatusCode);
            await Eventually.AsyncAssert(async () => (await Dig(dns, "mysql-vip.service.drover", "A", "+short")).Trim() == "127.0.0.2",
                TimeSpan.FromSeconds(20), "vip moves back to the master", c.Diagnostics);
        }
        catch
        {
            output.WriteLine(c.Diagnostics());
            throw;
        }
    }

    [Fact(Timeout = 240_000)]
    public async Task Fibonacci_instances_find_each_other_through_discovery()
    {
        await using var c = await LocalCluster.StartAsync(agents: 1);
        try
        {
            var repo = FindRepo();
            var json = File.ReadAllText(Path.Combine(repo, "examples", "fibonacci", "fibonacci.json"))
                .Replace("@REPO@", repo).Replace("http://127.0.0.1:8080", c.BaseAddress.ToString().TrimEnd('/'));
            await c.ApplyAsync(json);
            var app = await c.WaitForRunningAsync("/fibonacci", 3, TimeSpan.FromSeconds(90));
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(60) };
            foreach (var t in app.Tasks!)
                Assert.Equal("610", await http.GetStringAsync($"http://127.0.0.1:{t.Ports[0]}/fibonacci/15"));
            // client-side load balancing: every instance served part of the recursion
            foreach (var t in app.Tasks!)
            {
                var stats = JsonDocument.Parse(await http.GetStringAsync($"http://127.0.0.1:{t.Ports[0]}/stats"));
                Assert.True(stats.RootElement.GetProperty("served").GetInt32() > 3, $"instance on {t.Ports[0]} served too little: {stats.RootElement}");
            }
        }
        catch
        {
            output.WriteLine(c.Diagnostics());
            throw;
        }
    }

    private static string FindRepo()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "Drover.slnx"))) return d.FullName;
        throw new DirectoryNotFoundException("repository root (Drover.slnx) not found above the test binaries");
    }
}
