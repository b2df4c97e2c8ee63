using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using Drover.Core.Processes;
using Drover.IntegrationTests.Harness;
using Drover.IntegrationTests.Harness.Netns;
using Drover.Lb.Control;
using Xunit.Abstractions;

namespace Drover.IntegrationTests.Netns;

/// <summary>
/// Entry-point HA as users run it: a server and an agent serving an app with HAPROXY labels, two lb hosts each running
/// the real <c>drover lb --vip … --vrrp-peer …</c> (real HAProxy and keepalived under it), and a client host that asks
/// the app through the VIP. kill -9 of HAProxy on the holder (by PID, from the lb's status) moves the VIP; the client
/// is served again through the other host. The move time is printed.
/// </summary>
public sealed class LbVipFailoverTests(ITestOutputHelper output)
{
    private const int HttpPort = 8000;
    private const int StatusPort = 9090;
    private const string Vhost = "app.example.test";

    [Fact(Timeout = 300_000)]
    public async Task Killing_haproxy_on_the_vip_holder_moves_the_vip_and_the_client_is_served_again()
    {
        using var dir = new TempDir("lb-vip");
        await using var c = await NetnsCluster.StartAsync(new NetnsClusterOptions { Agents = 1 });
        var lbs = new Dictionary<string, (NetnsHost Host, DroverProcess Process, HttpClient Status)>();
        try
        {
            await c.ApplyAsync($$"""
                {"id": "/app", "instances": 2, "cpus": 0.05, "mem": 32, "cmd": "exec python3 -m http.server $PORT0",
                 "labels": {"HAPROXY_0_VHOST": "{{Vhost}}"},
                 "healthChecks": [{"protocol": "HTTP", "path": "/", "intervalSeconds": 1, "gracePeriodSeconds": 60, "maxConsecutiveFailures": 3}]}
                """);
            var lb1 = await c.Network.AddHostAsync("lb1");
            var lb2 = await c.Network.AddHostAsync("lb2");
            var client = await c.Network.AddHostAsync("client");
            var vip = $"10.200.{c.Network.Subnet}.200";
            foreach (var (host, peer, priority) in new[] { (lb1, lb2, 150), (lb2, lb1, 100) })
            {
                var process = host.StartDrover(["lb", "--server", c.ServerUrl.ToString().TrimEnd('/'), "--data-dir", dir.Combine(host.Name),
                    "--http-port", HttpPort.ToString(CultureInfo.InvariantCulture), "--status-listen", $"{host.Address}:{StatusPort}", "--id", host.Name,
                    "--vip", $"{vip}/24", "--vip-interface", "eth0", "--vrrp-peer", peer.Address.ToString(), "--vrrp-source", host.Address.ToString(),
                    "--vrrp-priority", priority.ToString(CultureInfo.InvariantCulture)], $"{host.Name}:lb");
                lbs[host.Name] = (host, process, c.Ctl.CreateHttpClient(new Uri($"http://{host.Address}:{StatusPort}"), TimeSpan.FromSeconds(5)));
            }
            foreach (var (_, process, _) in lbs.Values) await process.WaitForLineAsync("drover lb: ", TimeSpan.FromSeconds(60));
            string Diagnostics() => c.Diagnostics() + "\n" + string.Join("\n", lbs.Values.Select(l => l.Process.FormatOutput(60)));
            async Task<LbStatus?> StatusAsync(string name)
            {
                try { return await lbs[name].Status.GetFromJsonAsync("/lb/status", LbStatusJsonContext.Default.LbStatus); }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException) { return null; }
            }

            using var http = client.CreateHttpClient(new Uri($"http://{vip}:{HttpPort}"), TimeSpan.FromSeconds(2));
            async Task<bool> ServedAsync()
            {
                try
                {
                    using var request = new HttpRequestMessage(HttpMethod.Get, "/") { Headers = { Host = Vhost, ConnectionClose = true } };
                    return (await http.SendAsync(request)).IsSuccessStatusCode;
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException) { return false; }
            }

            // lb1 has the higher priority: it holds the VIP once both HAProxies answer, and routes the vhost.
            await Eventually.AsyncAssert(async () => await StatusAsync("lb1") is { Vip.Holding: true } && await ServedAsync(), TimeSpan.FromSeconds(120),
                "the client is served through the VIP held by lb1", Diagnostics);
            var before = (await StatusAsync("lb1"))!;
            Assert.Equal($"{vip}/24", before.Vip!.Address);
            Assert.NotNull(before.Vip.KeepalivedPid);
            Assert.False((await StatusAsync("lb2"))!.Vip!.Holding);

            // kill -9 HAProxy on lb1: its master and its workers, by PID.
            var haproxy = before.HaproxyPid ?? throw new InvalidOperationException("lb1's status names no HAProxy pid");
            var pids = new[] { haproxy }.Concat(Children(haproxy)).ToList();
            var clock = Stopwatch.StartNew();
            foreach (var pid in pids) Signals.Send(pid, Signals.Kill);
            await Eventually.AsyncAssert(async () => await ServedAsync() && await StatusAsync("lb2") is { Vip.Holding: true }, TimeSpan.FromSeconds(60),
                "after HAProxy died on lb1 the client is served through lb2", Diagnostics);
            clock.Stop();
            output.WriteLine($"VIP moved from lb1 to lb2 and the client was served again {clock.Elapsed.TotalSeconds:0.00} s after kill -9 of HAProxy " +
                $"(pids {string.Join(", ", pids)}) on lb1 (advert and check interval 1 s)");
            Assert.False((await StatusAsync("lb1"))!.Vip!.Holding);
        }
        catch
        {
            output.WriteLine(c.Diagnostics());
            foreach (var l in lbs.Values) output.WriteLine(l.Process.FormatOutput(120));
            throw;
        }
        finally
        {
            foreach (var (_, process, status) in lbs.Values)
            {
                status.Dispose();
                if (!process.HasExited) await process.KillAsync(UnixSignal.Term);
                try { await process.WaitForExitAsync(TimeSpan.FromSeconds(30)); }
                catch (TimeoutException) { }
                await process.DisposeAsync();
            }
        }
    }

    private static IReadOnlyList<int> Children(int pid)
    {
        try
        {
            return [.. File.ReadAllText($"/proc/{pid}/task/{pid}/children").Split(' ', StringSplitOptions.RemoveEmptyEntries)
                .Select(p => int.Parse(p, CultureInfo.InvariantCulture))];
        }
        catch (IOException) { return []; }
    }
}
