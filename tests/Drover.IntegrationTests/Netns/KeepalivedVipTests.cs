using System.Diagnostics;
using Drover.IntegrationTests.Harness;
using Drover.IntegrationTests.Harness.Netns;
using Drover.Lb.Keepalived;
using Xunit.Abstractions;

namespace Drover.IntegrationTests.Netns;

/// <summary>
/// Entry-point HA over network-namespace hosts: two lb hosts each run a stand-in HAProxy (a web server answering with
/// its host's name on the VIP's port, which the track script asks as it would HAProxy's monitor URI) and keepalived under
/// <see cref="KeepalivedSupervisor"/>; a third host is the client. Killing the stand-in on the VIP's holder moves the
/// VIP to the other host; the move time is printed.
/// </summary>
public sealed class KeepalivedVipTests(ITestOutputHelper output)
{
    [Fact(Timeout = 180_000)]
    public async Task Vip_moves_to_the_other_lb_host_when_haproxy_dies_on_the_active_one()
    {
        using var dir = new TempDir("lb-vrrp");
        await using var net = await NetnsNetwork.CreateAsync();
        var lb1 = await net.AddHostAsync("lb1");
        var lb2 = await net.AddHostAsync("lb2");
        var client = await net.AddHostAsync("client");
        var vip = $"10.200.{net.Subnet}.200";
        var web = new Dictionary<string, DroverProcess>();
        var keepalived = new List<KeepalivedSupervisor>();
        try
        {
            foreach (var (host, peer, priority) in new[] { (lb1, lb2, 150), (lb2, lb1, 100) })
            {
                var root = dir.CreateSubdirectory(host.Name);
                await File.WriteAllTextAsync(Path.Combine(root, "who"), host.Name);
                var proc = host.Start("/usr/bin/python3", ["-m", "http.server", "8080", "--bind", "0.0.0.0", "--directory", root]);
                web[host.Name] = proc;
                var settings = new KeepalivedSettings
                {
                    Vip = $"{vip}/24", Interface = "eth0", Peers = [peer.Address.ToString()], SourceAddress = host.Address.ToString(),
                    Priority = priority, VirtualRouterId = 51, CheckPort = 8080, CheckPath = "/who", TrackScriptPath = Path.Combine(root, "track-haproxy.sh"),
                    RouterName = host.Name,
                };
                var k = new KeepalivedSupervisor(settings, Path.Combine(root, "keepalived"), launcher: ["/usr/bin/nsenter", $"--net=/run/netns/{host.Namespace}"]);
                keepalived.Add(k);
                await k.StartAsync();
            }
            string Diagnostics() => string.Join("\n", keepalived.Select(k => $"--- keepalived {k.RunDirectory}\n{k.Output}"));

            using var http = client.CreateHttpClient(new Uri($"http://{vip}:8080"), TimeSpan.FromSeconds(2));
            async Task<string?> WhoAsync()
            {
                try
                {
                    using var request = new HttpRequestMessage(HttpMethod.Get, "/who") { Headers = { ConnectionClose = true } };
                    var r = await http.SendAsync(request);
                    return r.IsSuccessStatusCode ? await r.Content.ReadAsStringAsync() : null;
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException) { return null; }
            }

            // lb1 has the higher priority: it holds the VIP once both checks pass.
            var first = await Eventually.GetAsync(async () => await WhoAsync() == "lb1" ? "lb1" : null, TimeSpan.FromSeconds(60),
                "the client reaches lb1 through the VIP", Diagnostics);
            Assert.Equal("lb1", first);

            var clock = Stopwatch.StartNew();
            await web["lb1"].KillAsync();
            await Eventually.AsyncAssert(async () => await WhoAsync() == "lb2", TimeSpan.FromSeconds(60),
                "after HAProxy died on lb1 the client reaches lb2 through the VIP", Diagnostics);
            clock.Stop();
            output.WriteLine($"VIP moved from lb1 to lb2 {clock.Elapsed.TotalSeconds:0.00} s after HAProxy was killed on lb1 (advert and check interval 1 s)");

            var onLb1 = await lb1.RunAsync("/usr/sbin/ip", ["-o", "addr", "show", "dev", "eth0"], TimeSpan.FromSeconds(10));
            Assert.DoesNotContain(vip + "/", onLb1.Stdout);
            var onLb2 = await lb2.RunAsync("/usr/sbin/ip", ["-o", "addr", "show", "dev", "eth0"], TimeSpan.FromSeconds(10));
            Assert.Contains(vip + "/24", onLb2.Stdout);
        }
        finally
        {
            foreach (var k in keepalived) await k.DisposeAsync();
            foreach (var w in web.Values) await w.DisposeAsync();
        }
    }
}
