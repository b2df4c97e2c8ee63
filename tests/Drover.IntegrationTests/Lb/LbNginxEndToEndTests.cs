using Drover.IntegrationTests.Harness;
using Xunit.Abstractions;

namespace Drover.IntegrationTests.Lb;

/// <summary>
/// `drover lb --nginx` as its users run it: the real command, a real cluster and agent-run HTTP tasks, and the Nginx the
/// lb starts (no HAProxy). A vhost route serves every instance and follows a scale from 2 to 3; the lb's status shows
/// what Nginx did.
/// </summary>
public sealed class LbNginxEndToEndTests(ITestOutputHelper output)
{
    [Fact(Timeout = 300_000)]
    public async Task NginxRoutesAVhostAndFollowsAScale()
    {
        await using var c = await LocalCluster.StartAsync(agents: 1);
        await using var lb = await DroverLb.StartAsync(c.BaseAddress, "--nginx");
        using var dir = new TempDir("lb-nginx-e2e");
        try
        {
            Assert.False(File.Exists(lb.ConfigPath), "--nginx runs no HAProxy");
            await c.ApplyAsync(LbEndToEndTests.EchoApp("/web", LbEndToEndTests.WriteEcho(dir), 2, "\"HAPROXY_0_VHOST\": \"web.example.test\""));
            var two = await c.WaitForRunningAsync("/web", 2, TimeSpan.FromSeconds(120));

            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
            async Task<HashSet<string>> AnswersAsync()
            {
                var seen = new HashSet<string>();
                for (var i = 0; i < 15; i++)
                {
                    try
                    {
                        using var req = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{lb.HttpPort}/") { Headers = { Host = "web.example.test" } };
                        var r = await http.SendAsync(req);
                        if (r.IsSuccessStatusCode) seen.Add(await r.Content.ReadAsStringAsync());
                    }
                    catch (HttpRequestException) { }
                }
                return seen;
            }
            string Diagnostics() => lb.Process.FormatOutput(60);

            var firstIds = two.Tasks!.Select(t => t.Id).ToHashSet();
            await Eventually.AsyncAssert(async () => (await AnswersAsync()).SetEquals(firstIds), TimeSpan.FromSeconds(60),
                "nginx balances the vhost over both instances", Diagnostics);

            var before = (await lb.StatusAsync()).Nginx!;
            Assert.NotNull(before.Pid);
            await c.Client.ScaleAppAsync("/web", 3);
            var three = await c.WaitForRunningAsync("/web", 3, TimeSpan.FromSeconds(120));
            var ids = three.Tasks!.Select(t => t.Id).ToHashSet();
            await Eventually.AsyncAssert(async () => (await AnswersAsync()).SetEquals(ids), TimeSpan.FromSeconds(60),
                "after the scale nginx balances over the 3 instances", Diagnostics);

            var after = (await lb.StatusAsync()).Nginx!;
            Assert.Equal(before.Pid, after.Pid); // reloaded in place, not restarted
            Assert.True(after.Reloads > before.Reloads, $"reloads {before.Reloads} → {after.Reloads}");
            Assert.Equal(0, after.Rejected);
            var conf = await File.ReadAllTextAsync(after.ConfigPath);
            foreach (var t in three.Tasks!) Assert.Contains($":{t.Ports![0]};", conf);

            var status = await DroverProcess.RunCliAsync(TimeSpan.FromSeconds(30), "lb", "status", "--status-listen", $"127.0.0.1:{lb.StatusPort}");
            Assert.True(status.ExitCode == 0, status.ToString());
            Assert.Contains($"nginx pid {after.Pid}, config {after.ConfigPath}", status.Stdout);
        }
        catch
        {
            output.WriteLine(c.Diagnostics());
            output.WriteLine(lb.Process.FormatOutput(120));
            throw;
        }
    }

    [Fact(Timeout = 60_000)]
    public async Task VipWithNginxIsAUsageErrorNamingTheOptions()
    {
        var r = await DroverProcess.RunCliAsync(TimeSpan.FromSeconds(30), "lb", "--server", "http://127.0.0.1:1", "--nginx",
            "--vip", "10.0.0.100/24", "--vip-interface", "eth0", "--vrrp-peer", "10.0.0.2");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--vip works with HAProxy only", r.Stderr);
    }
}
